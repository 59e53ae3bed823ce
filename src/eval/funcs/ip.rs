//! IP network functions: cidrhost cidrnetmask cidrsubnet cidrsubnets, for
//! IPv4 and IPv6. Addresses are handled as `u128` with a bit width of 32 or 128.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{expect_int, expect_string, func, invalid, FResult, Func, FuncContext, FuncError, Ret};
use crate::value::Value;

pub(crate) const FUNCS: &[Func] = &[
    func("cidrhost", &["prefix", "hostnum"], None, Ret::Str, 0, cidrhost),
    func("cidrnetmask", &["prefix"], None, Ret::Str, 0, cidrnetmask),
    func("cidrsubnet", &["prefix", "newbits", "netnum"], None, Ret::Str, 0, cidrsubnet),
    func("cidrsubnets", &["prefix"], Some("newbits"), Ret::ListStr, 0, cidrsubnets),
];

#[derive(Debug, Clone, Copy)]
struct Net {
    /// Network address (host bits cleared).
    addr: u128,
    /// 32 or 128.
    bits: u32,
    prefix: u32,
}

impl Net {
    fn all(&self) -> u128 {
        if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        }
    }

    fn mask(&self, prefix: u32) -> u128 {
        let host = self.bits - prefix;
        let hostmask = if host >= 128 { u128::MAX } else { (1u128 << host) - 1 };
        self.all() & !hostmask
    }

    fn last(&self) -> u128 {
        self.addr | (self.all() & !self.mask(self.prefix))
    }

    fn fmt_addr(&self, a: u128) -> String {
        if self.bits == 32 {
            Ipv4Addr::from(a as u32).to_string()
        } else {
            Ipv6Addr::from(a).to_string()
        }
    }

    fn fmt(&self) -> String {
        format!("{}/{}", self.fmt_addr(self.addr), self.prefix)
    }

    fn with_prefix(&self, addr: u128, prefix: u32) -> Net {
        Net { addr: addr & self.mask(prefix), bits: self.bits, prefix }
    }
}

fn parse_v4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = p.parse().ok()?;
        if v > 255 {
            return None;
        }
        out = out << 8 | v;
    }
    Some(out)
}

fn parse_cidr(s: &str) -> Option<Net> {
    let (a, p) = s.split_once('/')?;
    if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u32 = p.parse().ok()?;
    let (addr, bits) = match parse_v4(a) {
        Some(v) => (v as u128, 32),
        None => (u128::from(a.parse::<Ipv6Addr>().ok()?), 128),
    };
    if prefix > bits {
        return None;
    }
    let n = Net { addr, bits, prefix };
    Some(n.with_prefix(addr, prefix))
}

fn net_arg(args: &[Value]) -> Result<Net, FuncError> {
    let s = expect_string(args, 0, "prefix")?;
    parse_cidr(&s).ok_or_else(|| FuncError::new(format!("invalid CIDR expression: invalid CIDR address: {s}")))
}

fn cidrhost(args: &[Value], _: &FuncContext) -> FResult {
    let net = net_arg(args)?;
    let hostnum = expect_int(args, 1, "hostnum")? as i128;
    let hostbits = net.bits - net.prefix;
    let size: i128 = if hostbits >= 127 { i128::MAX } else { 1i128 << hostbits };
    let num = if hostnum < 0 { size.saturating_add(hostnum) } else { hostnum };
    if num < 0 || num >= size {
        return Err(FuncError::new(format!("prefix of {} does not accommodate a host numbered {num}", net.prefix)));
    }
    Ok(Value::String(net.fmt_addr(net.addr | num as u128)))
}

fn cidrnetmask(args: &[Value], _: &FuncContext) -> FResult {
    let net = net_arg(args)?;
    if net.bits != 32 {
        return Err(FuncError::new(format!("IPv6 addresses cannot have a netmask: {}", expect_string(args, 0, "prefix")?)));
    }
    Ok(Value::String(net.fmt_addr(net.mask(net.prefix))))
}

fn cidrsubnet(args: &[Value], _: &FuncContext) -> FResult {
    let net = net_arg(args)?;
    let newbits = expect_int(args, 1, "newbits")?;
    let netnum = expect_int(args, 2, "netnum")?;
    if newbits < 0 || net.prefix as i64 + newbits > net.bits as i64 {
        return Err(FuncError::new(format!("insufficient address space to extend prefix of {} by {newbits}", net.prefix)));
    }
    let newprefix = net.prefix + newbits as u32;
    let fits = netnum >= 0 && (newbits >= 63 || netnum < (1i64 << newbits));
    if !fits {
        return Err(FuncError::new(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}")));
    }
    let shift = net.bits - newprefix;
    let addr = net.addr | if shift >= 128 { 0 } else { (netnum as u128) << shift };
    Ok(Value::String(net.with_prefix(addr, newprefix).fmt()))
}

fn cidrsubnets(args: &[Value], _: &FuncContext) -> FResult {
    let net = net_arg(args)?;
    let mut lens = Vec::new();
    for i in 1..args.len() {
        let nb = expect_int(args, i, "newbits")?;
        if nb < 1 {
            return Err(invalid(i, "newbits", "must extend prefix by at least one bit"));
        }
        let len = net.prefix as i64 + nb;
        if len > net.bits as i64 {
            let fam = if net.bits == 32 { "IPv4" } else { "IPv6" };
            return Err(invalid(i, "newbits", format!("would extend prefix to {len} bits, which is too long for an {fam} address")));
        }
        lens.push(len as u32);
    }
    if lens.is_empty() {
        return Ok(Value::List(vec![]));
    }
    let all = net.all();
    // The subnet just before the first one, so that the loop can always step forward.
    let mut current = net.with_prefix(net.addr.wrapping_sub(1) & all, lens[0]);
    let mut out = Vec::new();
    for (i, &len) in lens.iter().enumerate() {
        let sub = net.with_prefix(current.last(), len);
        let next_addr = sub.last().wrapping_add(1) & all;
        let next = net.with_prefix(next_addr, len);
        let contained = (next.addr & net.mask(net.prefix)) == net.addr;
        if next_addr == 0 || !contained {
            return Err(invalid(
                i + 1,
                "newbits",
                format!("not enough remaining address space for a subnet with a prefix of {len} bits after {}", current.fmt()),
            ));
        }
        current = next;
        out.push(Value::String(current.fmt()));
    }
    Ok(Value::List(out))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    // Expected values checked with `terraform console` (1.11).
    #[test]
    fn hosts_and_masks() {
        assert_eq!(js("cidrhost", vec![s("fd00::/64"), n(5.0)]), r#""fd00::5""#);
        assert_eq!(js("cidrhost", vec![s("10.0.0.0/8"), n(-1.0)]), r#""10.255.255.255""#);
        assert_eq!(js("cidrhost", vec![s("10.0.0.0/30"), n(-4.0)]), r#""10.0.0.0""#);
        assert_eq!(js("cidrhost", vec![s("10.0.0.1/24"), n(1.0)]), r#""10.0.0.1""#);
        assert_eq!(js("cidrhost", vec![s("010.0.0.0/8"), n(3.0)]), r#""10.0.0.3""#);
        assert_eq!(call_err("cidrhost", vec![s("10.0.0.0/30"), n(4.0)]), "prefix of 30 does not accommodate a host numbered 4");
        assert_eq!(call_err("cidrhost", vec![s("10.0.0.0/30"), n(-5.0)]), "prefix of 30 does not accommodate a host numbered -1");
        assert_eq!(
            call_err("cidrhost", vec![s("10.0.0.0/33"), n(1.0)]),
            "invalid CIDR expression: invalid CIDR address: 10.0.0.0/33"
        );
        assert_eq!(js("cidrnetmask", vec![s("172.16.0.0/12")]), r#""255.240.0.0""#);
        assert_eq!(call_err("cidrnetmask", vec![s("fe80::/64")]), "IPv6 addresses cannot have a netmask: fe80::/64");
    }

    #[test]
    fn subnets() {
        assert_eq!(js("cidrsubnet", vec![s("fe80::/64"), n(64.0), n(1.0)]), r#""fe80::1/128""#);
        assert_eq!(js("cidrsubnet", vec![s("10.1.0.0/16"), n(8.0), n(2.0)]), r#""10.1.2.0/24""#);
        assert_eq!(
            call_err("cidrsubnet", vec![s("10.0.0.0/8"), n(8.0), n(300.0)]),
            "prefix extension of 8 does not accommodate a subnet numbered 300"
        );
        assert_eq!(
            call_err("cidrsubnet", vec![s("10.0.0.0/30"), n(3.0), n(0.0)]),
            "insufficient address space to extend prefix of 30 by 3"
        );
        assert_eq!(
            js("cidrsubnets", vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)]),
            r#"["10.1.0.0/20","10.1.16.0/20","10.1.32.0/24","10.1.48.0/20"]"#
        );
        assert_eq!(
            js("cidrsubnets", vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(16.0), n(16.0), n(32.0)]),
            r#"["fd00:fd12:3456:7800::/72","fd00:fd12:3456:7800:100::/72","fd00:fd12:3456:7800:200::/72","fd00:fd12:3456:7800:300::/88"]"#
        );
        assert_eq!(js("cidrsubnets", vec![s("10.0.0.0/8"), n(8.0), n(4.0)]), r#"["10.0.0.0/16","10.16.0.0/12"]"#);
        assert_eq!(js("cidrsubnets", vec![s("10.0.0.0/8")]), "[]");
        assert_eq!(
            call_err("cidrsubnets", vec![s("10.0.0.0/30"), n(2.0), n(2.0), n(2.0), n(2.0), n(1.0)]),
            "Invalid value for \"newbits\" parameter: not enough remaining address space for a subnet with a prefix of 31 bits after 10.0.0.3/32."
        );
    }
}
