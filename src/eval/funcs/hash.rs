//! Hash and UUID functions: md5 sha1 sha256 sha512 base64sha256 uuid.

use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::{expect_string, func, FResult, Func, Ret, UNKNOWNS};
use crate::value::{Type, Value};

pub(crate) const FUNCS: &[Func] = &[
    func("md5", &["str"], None, Ret::Str, 0, |a, _| hex_of::<Md5>(a)),
    func("sha1", &["str"], None, Ret::Str, 0, |a, _| hex_of::<Sha1>(a)),
    func("sha256", &["str"], None, Ret::Str, 0, |a, _| hex_of::<Sha256>(a)),
    func("sha512", &["str"], None, Ret::Str, 0, |a, _| hex_of::<Sha512>(a)),
    func("base64sha256", &["str"], None, Ret::Str, 0, |a, _| {
        let d = Sha256::digest(expect_string(a, 0, "str")?.as_bytes());
        Ok(Value::String(base64::engine::general_purpose::STANDARD.encode(d)))
    }),
    func("uuid", &[], None, Ret::Str, UNKNOWNS, |_, ctx| {
        if ctx.defer_impure {
            return Ok(Value::Unknown(Type::String));
        }
        Ok(Value::String(uuid::Uuid::new_v4().to_string()))
    }),
];

fn hex_of<D: Digest>(args: &[Value]) -> FResult {
    let d = D::digest(expect_string(args, 0, "str")?.as_bytes());
    Ok(Value::String(d.iter().map(|b| format!("{b:02x}")).collect()))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn digests() {
        assert_eq!(js("md5", vec![s("hello world")]), r#""5eb63bbbe01eeed093cb22bb8f5acdc3""#);
        assert_eq!(js("sha1", vec![s("hello world")]), r#""2aae6c35c94fcfb415dbe95f408b9ce91ee846ed""#);
        assert_eq!(
            js("sha256", vec![s("hello world")]),
            r#""b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9""#
        );
        assert_eq!(js("base64sha256", vec![s("hello world")]), r#""uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=""#);
        assert!(js("sha512", vec![s("")]).starts_with("\"cf83e1357eefb8bd"));
        let u = call_ok("uuid", vec![]);
        assert_eq!(u.as_str().unwrap().len(), 36);
    }
}
