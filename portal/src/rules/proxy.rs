//! The client's address behind a TLS proxy: `[portal] trusted_proxies` lists the networks of
//! the proxies in front of the portal. Only when the connection comes from one of them is the
//! last hop of `X-Forwarded-For` (the address that proxy saw) taken as the client; from any
//! other peer the header is ignored, so nobody can choose the address a rate limit or the
//! security log sees by sending the header themselves.

use std::net::IpAddr;

/// A network, as `127.0.0.1/32`, `10.0.0.0/8` or `::1/128` (an address alone is one host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    /// Reads `address/prefix`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let base: IpAddr = address.parse().ok()?;
        let most = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= most)?,
            None => most,
        };
        Some(Self { base, prefix })
    }

    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        let (a, b, bits) = match (self.base, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)), 32_u32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128_u32),
            _ => return false,
        };
        let host_bits = bits - u32::from(self.prefix);
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        (a & mask) == (b & mask)
    }
}

/// The client's address: `peer`, or when `peer` is a trusted proxy the last address in its
/// `X-Forwarded-For` values (`forwarded`, in the order received). A header that is missing or
/// whose last hop is not an address leaves the peer.
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded: impl IntoIterator<Item = &'a str>,
    trusted: &[Network],
) -> IpAddr {
    if !trusted.iter().any(|n| n.contains(peer)) {
        return peer;
    }
    forwarded
        .into_iter()
        .flat_map(|v| v.split(','))
        .last()
        .and_then(|hop| hop.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_are_read_and_matched() {
        let n = Network::parse("10.1.0.0/16").unwrap();
        assert!(n.contains(ip("10.1.200.3")));
        assert!(!n.contains(ip("10.2.0.1")));
        assert!(Network::parse("127.0.0.1")
            .unwrap()
            .contains(ip("127.0.0.1")));
        assert!(Network::parse("::1/128").unwrap().contains(ip("::1")));
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Network::parse("127.0.0.1/32")
            .unwrap()
            .contains(ip("::ffff:127.0.0.1")));
        assert!(Network::parse("10.0.0.0/33").is_none());
        assert!(Network::parse("proxy.example/32").is_none());
    }

    #[test]
    fn the_last_hop_counts_only_from_a_trusted_proxy() {
        let trusted = [Network::parse("127.0.0.1/32").unwrap()];
        let header = ["198.51.100.7, 203.0.113.9"];
        assert_eq!(
            client_address(ip("127.0.0.1"), header, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_address(ip("192.0.2.1"), header, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), header, &[]),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), ["nonsense"], &trusted),
            ip("127.0.0.1")
        );
    }
}
