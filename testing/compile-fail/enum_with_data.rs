// SPDX-License-Identifier: GPL-2.0

//! A Rust enum carrying data has no BTF meaning.
// expect: `Shape` cannot be a kfunc parameter
// expect: required by a bound in `rs_bad_enum::shape`

/// Not a C type.
pub enum Shape {
    /// A circle.
    Circle(u32),
    /// A square.
    Square(u64),
}

kfunc::kfunc_set! {
    pub static BAD: KfuncSet;

    /// Takes an enum with data.
    pub fn rs_bad_enum(id: u32, shape: Shape) -> u32 {
        let _ = shape;
        id
    }
}
