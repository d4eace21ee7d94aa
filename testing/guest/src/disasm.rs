// SPDX-License-Identifier: GPL-2.0

//! The text of a program's instructions as upstream's test_loader shows
//! them for `__xlated` expectations: the kernel's BPF disassembler format
//! (kernel/bpf/disasm.c, `print_bpf_insn()` with pointers shown), as
//! selftests' disasm_helpers.c post-processes it, one `"<index>: <text>"`
//! line per instruction (a 16-byte load of a 64-bit immediate is one line
//! and advances the index by 2).
//!
//! The post-processing: the text is formatted into a 64-byte buffer (so at
//! most 63 bytes are kept), the `"(xx) "` opcode prefix is cut off (its 5
//! bytes, whatever they are), a call loses everything from its last `'#'`
//! (`"call bpf_foo#12"` becomes `"call bpf_foo"`), and a BPF-to-BPF call
//! shows the callee's offset kept in `off` (`"call pc+3"`). No immediate
//! callback is installed, so a 64-bit immediate (even a map, which the
//! kernel's dump turns into the map id and value offset) is shown as
//! `0x<hex>`. Helper names come from the kernel's `enum bpf_func_id`,
//! which generates the disassembler's `func_id_str` too.

/// One instruction, decoded from its 8 little-endian bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Insn {
    /// Opcode.
    pub code: u8,
    /// Destination register.
    pub dst: u8,
    /// Source register.
    pub src: u8,
    /// Offset.
    pub off: i16,
    /// Immediate.
    pub imm: i32,
}

impl Insn {
    /// Decodes `b` (x86_64 is little-endian: `dst_reg` is the low nibble).
    pub fn from_bytes(b: &[u8]) -> Self {
        Self {
            code: b[0],
            dst: b[1] & 0xf,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    fn class(&self) -> u8 {
        self.code & 0x07
    }
    fn op(&self) -> u8 {
        self.code & 0xf0
    }
    fn mode(&self) -> u8 {
        self.code & 0xe0
    }
    fn size(&self) -> u8 {
        self.code & 0x18
    }
    fn src_is_x(&self) -> bool {
        self.code & 0x08 != 0
    }
}

// Instruction classes, modes and operations (include/uapi/linux/bpf.h).
const LD: u8 = 0x00;
const LDX: u8 = 0x01;
const ST: u8 = 0x02;
const STX: u8 = 0x03;
const ALU: u8 = 0x04;
const JMP: u8 = 0x05;
const JMP32: u8 = 0x06;
const ALU64: u8 = 0x07;
const DW: u8 = 0x18;
const IMM: u8 = 0x00;
const ABS: u8 = 0x20;
const IND: u8 = 0x40;
const MEM: u8 = 0x60;
const MEMSX: u8 = 0x80;
const ATOMIC: u8 = 0xc0;
const PROBE_ATOMIC: u8 = 0xe0;
const NOSPEC: u8 = 0xc0;
const DIV: u8 = 0x30;
const NEG: u8 = 0x80;
const MOD: u8 = 0x90;
const MOV: u8 = 0xb0;
const END: u8 = 0xd0;
const JA: u8 = 0x00;
const CALL: u8 = 0x80;
const EXIT: u8 = 0x90;
const JCOND: u8 = 0xe0;
const FETCH: i32 = 0x01;
const XCHG: i32 = 0xe0 | FETCH;
const CMPXCHG: i32 = 0xf0 | FETCH;
const LOAD_ACQ: i32 = 0x100;
const STORE_REL: i32 = 0x110;
const PSEUDO_CALL: u8 = 1;
const PSEUDO_KFUNC_CALL: u8 = 2;

/// C's `printf("%s", NULL)` in glibc.
const NULL: &str = "(null)";

fn alu_op(op: u8) -> &'static str {
    match op >> 4 {
        0x0 => "+=",
        0x1 => "-=",
        0x2 => "*=",
        0x3 => "/=",
        0x4 => "|=",
        0x5 => "&=",
        0x6 => "<<=",
        0x7 => ">>=",
        0x8 => "neg",
        0x9 => "%=",
        0xa => "^=",
        0xb => "=",
        0xc => "s>>=",
        0xd => "endian",
        _ => NULL,
    }
}

fn atomic_op(op: u8) -> &'static str {
    match op >> 4 {
        0x0 => "add",
        0x5 => "and",
        0x4 => "or",
        0xa => "xor",
        _ => NULL,
    }
}

fn jmp_op(op: u8) -> &'static str {
    match op >> 4 {
        0x0 => "jmp",
        0x1 => "==",
        0x2 => ">",
        0xa => "<",
        0x3 => ">=",
        0xb => "<=",
        0x4 => "&",
        0x5 => "!=",
        0x6 => "s>",
        0xc => "s<",
        0x7 => "s>=",
        0xd => "s<=",
        0x8 => "call",
        0x9 => "exit",
        _ => NULL,
    }
}

fn ldst_size(size: u8) -> &'static str {
    ["u32", "u16", "u8", "u64"][usize::from(size >> 3)]
}

fn ldsx_size(size: u8) -> &'static str {
    ["s32", "s16", "s8", NULL][usize::from(size >> 3)]
}

/// `%+d`.
fn signed(v: impl Into<i64>) -> String {
    format!("{:+}", v.into())
}

/// The disassembler's text for `insn` (`next` is the instruction after
/// it, for a 64-bit immediate), opcode prefix included.
pub fn print_insn(insn: &Insn, next: Option<&Insn>, helpers: &[String]) -> String {
    let c = insn.code;
    let (d, s, off, imm) = (insn.dst, insn.src, insn.off, insn.imm);
    let class = insn.class();
    match class {
        ALU | ALU64 => {
            let r = if class == ALU { 'w' } else { 'r' };
            let op_str = if (insn.op() == DIV || insn.op() == MOD) && off == 1 {
                if insn.op() == DIV {
                    "s/="
                } else {
                    "s%="
                }
            } else {
                alu_op(insn.op())
            };
            if insn.op() == END {
                if class == ALU64 {
                    format!("({c:02x}) r{d} = bswap{imm} r{d}")
                } else {
                    let order = if insn.src_is_x() { "be" } else { "le" };
                    format!("({c:02x}) r{d} = {order}{imm} r{d}")
                }
            } else if insn.op() == NEG {
                format!("({c:02x}) {r}{d} = -{r}{d}")
            } else if c == ALU64 | MOV | 0x08 && off == 1 {
                let imm = imm as u32;
                format!(
                    "({c:02x}) r{d} = addr_space_cast(r{s}, {}, {})",
                    imm >> 16,
                    imm & 0xffff
                )
            } else if c == ALU64 | MOV | 0x08 && off == -1 {
                format!("({c:02x}) r{d} = &(void __percpu *)(r{s})")
            } else if insn.src_is_x() {
                let sx = if insn.op() == MOV {
                    match off {
                        8 => "(s8)",
                        16 => "(s16)",
                        32 => "(s32)",
                        _ => "",
                    }
                } else {
                    ""
                };
                format!("({c:02x}) {r}{d} {op_str} {sx}{r}{s}")
            } else {
                format!("({c:02x}) {r}{d} {op_str} {imm}")
            }
        }
        STX => {
            let mode = insn.mode();
            let probe = if mode == PROBE_ATOMIC { "probe " } else { "" };
            let atomic = mode == ATOMIC || mode == PROBE_ATOMIC;
            let sz = ldst_size(insn.size());
            let bits = if insn.size() == DW { "64" } else { "" };
            let o = signed(off);
            let is_alu = |v: i32| [0x00, 0x50, 0x40, 0xa0].contains(&v);
            if mode == MEM {
                format!("({c:02x}) *({sz} *)(r{d} {o}) = r{s}")
            } else if atomic && is_alu(imm) {
                let op = alu_op(imm as u8);
                format!("({c:02x}) {probe}lock *({sz} *)(r{d} {o}) {op} r{s}")
            } else if atomic && imm & FETCH != 0 && is_alu(imm & !FETCH) {
                let op = atomic_op(imm as u8 & 0xf0);
                format!("({c:02x}) {probe}r{s} = atomic{bits}_fetch_{op}(({sz} *)(r{d} {o}), r{s})")
            } else if atomic && imm == CMPXCHG {
                format!("({c:02x}) {probe}r0 = atomic{bits}_cmpxchg(({sz} *)(r{d} {o}), r0, r{s})")
            } else if atomic && imm == XCHG {
                format!("({c:02x}) {probe}r{s} = atomic{bits}_xchg(({sz} *)(r{d} {o}), r{s})")
            } else if atomic && imm == LOAD_ACQ {
                format!("({c:02x}) {probe}r{d} = load_acquire(({sz} *)(r{s} {o}))")
            } else if atomic && imm == STORE_REL {
                format!("({c:02x}) {probe}store_release(({sz} *)(r{d} {o}), r{s})")
            } else {
                format!("BUG_{c:02x}")
            }
        }
        ST => {
            if insn.mode() == MEM {
                let sz = ldst_size(insn.size());
                format!("({c:02x}) *({sz} *)(r{d} {}) = {imm}", signed(off))
            } else if insn.mode() == NOSPEC {
                format!("({c:02x}) nospec")
            } else {
                format!("BUG_st_{c:02x}")
            }
        }
        LDX => {
            let mode = insn.mode();
            if (mode != MEM && mode != MEMSX) || (mode == MEMSX && insn.size() == DW) {
                return format!("BUG_ldx_{c:02x}");
            }
            let sz = if mode == MEM {
                ldst_size(insn.size())
            } else {
                ldsx_size(insn.size())
            };
            format!("({c:02x}) r{d} = *({sz} *)(r{s} {})", signed(off))
        }
        LD => {
            let sz = ldst_size(insn.size());
            match insn.mode() {
                ABS => format!("({c:02x}) r0 = *({sz} *)skb[{imm}]"),
                IND => format!("({c:02x}) r0 = *({sz} *)skb[r{s} + {imm}]"),
                IMM if insn.size() == DW => {
                    // Pointers are shown (allow_ptr_leaks is true).
                    let hi = next.map_or(0, |n| n.imm as u32);
                    let v = (u64::from(hi) << 32) | u64::from(imm as u32);
                    format!("({c:02x}) r{d} = 0x{v:x}")
                }
                _ => format!("BUG_ld_{c:02x}"),
            }
        }
        _ => {
            // JMP, JMP32
            let r = if class == JMP32 { 'w' } else { 'r' };
            if insn.op() == CALL {
                if s == PSEUDO_CALL {
                    format!("({c:02x}) call pc{}", signed(off))
                } else {
                    let name = match usize::try_from(imm) {
                        Ok(id) if s == 0 && id < helpers.len() => helpers[id].as_str(),
                        _ if s == PSEUDO_KFUNC_CALL => "kernel-function",
                        _ => "unknown",
                    };
                    format!("({c:02x}) call {name}#{imm}")
                }
            } else if c == JMP | JA {
                format!("({c:02x}) goto pc{}", signed(off))
            } else if c == JMP | JA | 0x08 {
                format!("({c:02x}) gotox r{d}")
            } else if c == JMP | JCOND && s == 0 {
                format!("({c:02x}) may_goto pc{}", signed(off))
            } else if c == JMP32 | JA {
                format!("({c:02x}) gotol pc{}", signed(imm))
            } else if c == JMP | EXIT {
                format!("({c:02x}) exit")
            } else if insn.src_is_x() {
                let op = jmp_op(insn.op());
                format!("({c:02x}) if {r}{d} {op} {r}{s} goto pc{}", signed(off))
            } else {
                let op = jmp_op(insn.op());
                format!(
                    "({c:02x}) if {r}{d} {op} 0x{:x} goto pc{}",
                    imm as u32,
                    signed(off)
                )
            }
        }
    }
}

/// disasm_helpers.c's post-processing of [`print_insn`]'s text.
pub fn simplify(text: &str) -> String {
    // vsnprintf into char[64]; the text is ASCII.
    let kept = &text.as_bytes()[..text.len().min(63)];
    let mut end = kept.len();
    let rest = kept.get(5..).unwrap_or(&[]);
    if rest.starts_with(b"call ") {
        if let Some(hash) = kept.iter().rposition(|&b| b == b'#') {
            end = hash;
        }
    }
    String::from_utf8_lossy(kept.get(5..end.max(5)).unwrap_or(&[])).into_owned()
}

/// The `"<index>: <text>\n"` lines of `insns` (raw 8-byte instructions).
pub fn program_text(insns: &[u8], helpers: &[String]) -> String {
    let all: Vec<Insn> = insns.chunks_exact(8).map(Insn::from_bytes).collect();
    let mut out = String::new();
    let mut i = 0;
    while i < all.len() {
        let insn = &all[i];
        let text = simplify(&print_insn(insn, all.get(i + 1), helpers));
        out.push_str(&format!("{i}: {text}\n"));
        i += if insn.code == LD | IMM | DW { 2 } else { 1 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    fn text(i: Insn) -> String {
        let helpers: Vec<String> = ["bpf_unspec", "bpf_map_lookup_elem"]
            .map(String::from)
            .to_vec();
        simplify(&print_insn(&i, None, &helpers))
    }

    #[test]
    fn decodes_little_endian_registers() {
        let i = Insn::from_bytes(&[0xbf, 0x21, 0xf8, 0xff, 1, 0, 0, 0]);
        assert_eq!(i, insn(0xbf, 1, 2, -8, 1));
    }

    #[test]
    fn alu_and_moves() {
        assert_eq!(text(insn(0xbc, 1, 0, 0, 0)), "w1 = w0");
        assert_eq!(text(insn(0xb7, 0, 0, 0, -7)), "r0 = -7");
        assert_eq!(text(insn(0x04, 1, 0, 0, 8)), "w1 += 8");
        assert_eq!(text(insn(0xbf, 1, 2, 8, 0)), "r1 = (s8)r2");
        assert_eq!(text(insn(0x3f, 1, 2, 1, 0)), "r1 s/= r2");
        assert_eq!(text(insn(0x87, 3, 0, 0, 0)), "r3 = -r3");
        assert_eq!(text(insn(0xdc, 3, 0, 0, 16)), "r3 = be16 r3");
        assert_eq!(text(insn(0xd7, 3, 0, 0, 32)), "r3 = bswap32 r3");
        assert_eq!(
            text(insn(0xbf, 1, 0, 1, 1)),
            "r1 = addr_space_cast(r0, 0, 1)"
        );
        assert_eq!(text(insn(0xbf, 0, 0, -1, 0)), "r0 = &(void __percpu *)(r0)");
        // An opcode without a name prints glibc's "(null)".
        assert_eq!(text(insn(0xef, 1, 2, 0, 0)), "r1 (null) r2");
    }

    #[test]
    fn memory_and_atomics() {
        assert_eq!(text(insn(0x61, 2, 0, 0, 0)), "r2 = *(u32 *)(r0 +0)");
        assert_eq!(text(insn(0x91, 2, 0, -8, 0)), "r2 = *(s8 *)(r0 -8)");
        assert_eq!(text(insn(0x7b, 10, 1, -8, 0)), "*(u64 *)(r10 -8) = r1");
        assert_eq!(text(insn(0x72, 10, 0, -1, 3)), "*(u8 *)(r10 -1) = 3");
        assert_eq!(
            text(insn(0xc3, 10, 1, -8, 0x01)),
            "r1 = atomic_fetch_add((u32 *)(r10 -8), r1)"
        );
        assert_eq!(
            text(insn(0xdb, 10, 1, -8, 0x50)),
            "lock *(u64 *)(r10 -8) &= r1"
        );
        assert_eq!(
            text(insn(0xe3, 1, 2, 0, 0xf1)),
            "probe r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)"
        );
        assert_eq!(
            text(insn(0xdb, 1, 2, 0, 0xe1)),
            "r2 = atomic64_xchg((u64 *)(r1 +0), r2)"
        );
        assert_eq!(
            text(insn(0xdb, 1, 2, 0, 0x100)),
            "r1 = load_acquire((u64 *)(r2 +0))"
        );
        assert_eq!(text(insn(0x30, 0, 0, 0, 0)), "r0 = *(u8 *)skb[0]");
        assert_eq!(text(insn(0xc2, 0, 0, 0, 0)), "nospec");
        assert_eq!(text(insn(0x99, 0, 0, 0, 0)), "dx_99");
    }

    #[test]
    fn jumps_and_calls() {
        assert_eq!(text(insn(0x85, 0, 0, 0, 1)), "call bpf_map_lookup_elem");
        assert_eq!(text(insn(0x85, 0, 0, 0, 1234)), "call unknown");
        assert_eq!(text(insn(0x85, 0, 2, 0, 99)), "call kernel-function");
        assert_eq!(text(insn(0x85, 0, 1, 3, 7)), "call pc+3");
        assert_eq!(text(insn(0x95, 0, 0, 0, 0)), "exit");
        assert_eq!(text(insn(0x05, 0, 0, -2, 0)), "goto pc-2");
        assert_eq!(text(insn(0x06, 0, 0, 0, 70000)), "gotol pc+70000");
        assert_eq!(text(insn(0xe5, 0, 0, 4, 0)), "may_goto pc+4");
        assert_eq!(text(insn(0x15, 1, 0, 2, 0)), "if r1 == 0x0 goto pc+2");
        assert_eq!(
            text(insn(0xa6, 1, 0, 2, -1)),
            "if w1 < 0xffffffff goto pc+2"
        );
        assert_eq!(text(insn(0x7d, 1, 2, -3, 0)), "if r1 s>= r2 goto pc-3");
    }

    #[test]
    fn ld_imm64_takes_two_slots() {
        let mut raw = Vec::new();
        for i in [
            insn(0x18, 1, 1, 0, 5),
            insn(0, 0, 0, 0, 0x10),
            insn(0x95, 0, 0, 0, 0),
        ] {
            raw.push(i.code);
            raw.push(i.dst | (i.src << 4));
            raw.extend_from_slice(&i.off.to_le_bytes());
            raw.extend_from_slice(&i.imm.to_le_bytes());
        }
        assert_eq!(program_text(&raw, &[]), "0: r1 = 0x1000000005\n2: exit\n");
    }

    #[test]
    fn long_texts_are_cut_at_63_bytes() {
        let t = "(c3) ".to_string() + &"x".repeat(70);
        assert_eq!(simplify(&t).len(), 58);
    }
}
