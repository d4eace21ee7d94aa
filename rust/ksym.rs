// SPDX-License-Identifier: GPL-2.0

//! [`ksyms!`]: module variables that BPF programs read as typed `__ksym`s,
//! per-CPU ([`PerCpu`]) or not.
//!
//! C headers: [`include/linux/percpu-defs.h`](srctree/include/linux/percpu-defs.h)
//! (`DEFINE_PER_CPU`, `this_cpu_ptr`), [`include/uapi/linux/btf.h`](srctree/include/uapi/linux/btf.h)
//! (`BTF_KIND_VAR`, `BTF_KIND_DATASEC`)
//!
//! For a C module pahole writes a BTF `VAR` for each per-CPU variable, in
//! a `DATASEC` named after its section, and a BPF program may then declare
//! `extern const int name __ksym;`: the verifier finds the variable by name
//! in the module's BTF and its address in kallsyms. Rust variables get no
//! BTF from pahole; the macro records each one and the BTF step adds the
//! `VAR` and `DATASEC`, finding the section and offset in the module's
//! symbol table.

use core::marker::PhantomData;

/// Declares module variables that BPF programs may read as typed ksyms.
///
/// Each is a `static` with its C name (`#[no_mangle]`, so kallsyms knows
/// it). `#[percpu]` puts it in `.data..percpu`, one copy per CPU, and the
/// name then stands for a [`PerCpu`] handle; without it the `static` is an
/// ordinary one, of a `Sync` type.
///
/// # Examples
///
/// ```ignore
/// kfunc::ksyms! {
///     /// Read by BPF programs as `extern const int rs_percpu_value __ksym;`.
///     #[percpu]
///     pub static rs_percpu_value: i32 = 123;
///
///     /// Read as `extern const u64 rs_loaded_at __ksym;`.
///     pub static rs_loaded_at: AtomicU64 = AtomicU64::new(0);
/// }
///
/// // In a kfunc (BPF programs run with migration disabled):
/// // SAFETY: called from BPF, on this CPU only, without reentry.
/// unsafe { rs_percpu_value.this_cpu_ptr().write(42) };
/// ```
#[macro_export]
macro_rules! ksyms {
    () => {};
    (
        $(#[doc = $doc:expr])*
        #[percpu]
        $vis:vis static $name:ident : $t:ty = $init:expr;
        $($rest:tt)*
    ) => {
        const _: () = {
            // The variable itself: one copy per CPU, laid out by the
            // module loader from `.data..percpu`. Its address is a per-CPU
            // pointer, which is never dereferenced as such.
            #[unsafe(no_mangle)]
            #[used]
            #[link_section = ".data..percpu"]
            static mut $name: $t = $init;

            const VAR: $crate::record::Var = $crate::record::Var {
                name: ::core::stringify!($name),
                percpu: true,
                ty: &<$t as $crate::BtfType>::BTF,
            };
            const LEN: usize = VAR.encoded_len();
            #[used]
            #[link_section = $crate::__kfunc_rs_record_section!()]
            static RECORD: [u8; LEN] = VAR.encode::<LEN>();
        };

        $(#[doc = $doc])*
        #[allow(non_upper_case_globals)]
        $vis static $name: $crate::PerCpu<$t> = {
            unsafe extern "C" {
                #[link_name = ::core::stringify!($name)]
                static mut VAR: $t;
            }
            // SAFETY: `VAR` is the per-CPU variable defined above.
            unsafe { $crate::PerCpu::from_raw(&raw mut VAR) }
        };

        $crate::ksyms! { $($rest)* }
    };
    (
        $(#[doc = $doc:expr])*
        $vis:vis static $name:ident : $t:ty = $init:expr;
        $($rest:tt)*
    ) => {
        $(#[doc = $doc])*
        #[unsafe(no_mangle)]
        #[used]
        #[allow(non_upper_case_globals)]
        $vis static $name: $t = $init;

        const _: () = {
            const VAR: $crate::record::Var = $crate::record::Var {
                name: ::core::stringify!($name),
                percpu: false,
                ty: &<$t as $crate::BtfType>::BTF,
            };
            const LEN: usize = VAR.encoded_len();
            #[used]
            #[link_section = $crate::__kfunc_rs_record_section!()]
            static RECORD: [u8; LEN] = VAR.encode::<LEN>();
        };

        $crate::ksyms! { $($rest)* }
    };
}

/// A per-CPU variable of the module, declared with [`ksyms!`].
///
/// # Invariants
///
/// `ptr` is the per-CPU pointer of a `T` in the module's `.data..percpu`:
/// adding a CPU's per-CPU offset gives that CPU's copy, which lives as long
/// as the module.
pub struct PerCpu<T> {
    ptr: *mut T,
    _p: PhantomData<T>,
}

// SAFETY: the handle is only a pointer; every access to the copies goes
// through the `unsafe` methods, whose callers synchronize.
unsafe impl<T: Send> Sync for PerCpu<T> {}

impl<T> PerCpu<T> {
    /// Used by [`ksyms!`] only.
    ///
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants.
    #[doc(hidden)]
    pub const unsafe fn from_raw(ptr: *mut T) -> Self {
        // INVARIANT: the caller's guarantee.
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// CPU `cpu`'s copy, like C's `per_cpu_ptr()`.
    ///
    /// # Safety
    ///
    /// `cpu` must be a possible CPU.
    #[inline]
    pub unsafe fn cpu_ptr(&self, cpu: u32) -> *mut T {
        // SAFETY: `__per_cpu_offset` has an entry per possible CPU, set up
        // before any module loads.
        let offset = unsafe {
            *(&raw const kernel::bindings::__per_cpu_offset)
                .cast::<usize>()
                .add(cpu as usize)
        };
        self.ptr.wrapping_byte_add(offset)
    }

    /// This CPU's copy, like C's `this_cpu_ptr()`.
    ///
    /// # Safety
    ///
    /// The caller must not migrate to another CPU while it uses the
    /// pointer (BPF programs, and the kfuncs they call, run with migration
    /// disabled), and must not race with other users of this CPU's copy.
    #[inline]
    pub unsafe fn this_cpu_ptr(&self) -> *mut T {
        // SAFETY: the current CPU is a possible CPU.
        unsafe { self.cpu_ptr(crate::compat::this_cpu()) }
    }
}
