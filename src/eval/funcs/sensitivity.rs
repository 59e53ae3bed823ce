//! Sensitivity functions: sensitive nonsensitive issensitive. These see
//! marks themselves; the generic marking in `call` does not apply.

use super::{func, Func, Ret, MARKS, NULLS, UNKNOWNS};
use crate::value::{Type, Value};

pub(crate) const FUNCS: &[Func] = &[
    func("sensitive", &["value"], None, Ret::Any, MARKS | NULLS | UNKNOWNS, |a, _| Ok(a[0].clone().mark_sensitive())),
    // Terraform 1.11 no longer rejects values that are not sensitive.
    func("nonsensitive", &["value"], None, Ret::Any, MARKS | NULLS | UNKNOWNS, |a, _| Ok(a[0].clone().into_unmarked().0)),
    func("issensitive", &["value"], None, Ret::Bool, MARKS | NULLS | UNKNOWNS, |a, _| {
        if a[0].is_sensitive() {
            Ok(Value::Bool(true))
        } else if a[0].is_unknown() {
            Ok(Value::Unknown(Type::Bool))
        } else {
            Ok(Value::Bool(false))
        }
    }),
];

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use crate::value::{Type, Value};

    // Checked with `terraform console` (1.11).
    #[test]
    fn marks() {
        assert_eq!(call_ok("sensitive", vec![n(1.0)]), n(1.0).mark_sensitive());
        assert_eq!(call_ok("nonsensitive", vec![s("a")]), s("a"));
        assert_eq!(call_ok("nonsensitive", vec![s("a").mark_sensitive()]), s("a"));
        assert_eq!(call_ok("issensitive", vec![s("a")]), Value::Bool(false));
        assert_eq!(call_ok("issensitive", vec![Value::Null.mark_sensitive()]), Value::Bool(true));
        assert_eq!(call_ok("issensitive", vec![Value::unknown()]), Value::Unknown(Type::Bool));
    }
}
