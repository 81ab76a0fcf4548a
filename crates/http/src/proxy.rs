//! Reverse proxies the operator trusts (`--trusted-proxies CIDR,…`): only from those peers are
//! `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host` believed. Anyone else can
//! write those headers, so from any other peer they are ignored.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Request};

/// An address range: `10.0.0.0/8`, `::1/128`, or one address (`127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                prefix_matches(&net.octets(), &ip.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, how a dual-stack socket reports an
/// IPv4 peer) compares as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_matches(network: &[u8], ip: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if network[..full] != ip[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    network[full] & mask == ip[full] & mask
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (address, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let network = IpAddr::from_str(address)
            .map(canonical)
            .map_err(|_| format!("`{s}` is not an IP address or CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{s}`: the prefix length must be 0–{max}"))?,
        };
        Ok(Cidr { network, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// The trusted proxies: none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// A comma-separated list of ranges; empty for none.
    fn from_str(s: &str) -> Result<Self, String> {
        s.split(',')
            .filter(|part| !part.trim().is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }
}

/// What a request says about its client, once the trusted proxies' headers are read: the
/// client's address and the origin (`scheme://host:port`) it addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    pub client: Option<IpAddr>,
    pub scheme: String,
    pub host: Option<String>,
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// Reads a request as it reached the first proxy. From a trusted peer, the client is the
    /// right-most address of `X-Forwarded-For` that is not itself a trusted proxy (the ones
    /// to its left were written by the client and prove nothing), and the scheme and host are
    /// `X-Forwarded-Proto` and `X-Forwarded-Host`. From any other peer: the peer, `http`
    /// (this server speaks plain HTTP) and `Host`.
    pub fn read(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Forwarded {
        let host = header_str(headers, header::HOST.as_str()).map(str::to_string);
        let direct = Forwarded {
            client: peer.map(canonical),
            scheme: "http".into(),
            host,
        };
        let Some(peer) = peer.filter(|p| self.trusts(*p)) else {
            return direct;
        };
        let mut client = canonical(peer);
        // Every X-Forwarded-For header, in order, as one list.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            let Ok(ip) = IpAddr::from_str(hop).map(canonical) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        // A proxy that appends keeps the first value; several proxies write a list.
        let first = |name: &str| {
            header_str(headers, name)
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_ascii_lowercase())
                .filter(|v| !v.is_empty())
        };
        Forwarded {
            client: Some(client),
            scheme: first("x-forwarded-proto")
                .filter(|s| s == "http" || s == "https")
                .unwrap_or(direct.scheme),
            host: first("x-forwarded-host").or(direct.host),
        }
    }

    /// [`TrustedProxies::read`] of a request, its peer taken from axum's `ConnectInfo`.
    pub fn read_request<B>(&self, request: &Request<B>) -> Forwarded {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        self.read(peer, request.headers())
    }
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn ranges_parse_and_contain_what_they_should() {
        let ten: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.200.3.4")));
        assert!(ten.contains(ip("::ffff:10.1.1.1")));
        assert!(!ten.contains(ip("11.0.0.1")));
        let odd: Cidr = "192.168.1.128/25".parse().unwrap();
        assert!(odd.contains(ip("192.168.1.200")));
        assert!(!odd.contains(ip("192.168.1.127")));
        let one: Cidr = "::1".parse().unwrap();
        assert!(one.contains(ip("::1")));
        assert!(!one.contains(ip("::2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Cidr>().unwrap_err().contains("0–32"));
        assert!("proxy.local".parse::<Cidr>().is_err());
        let list: TrustedProxies = " 10.0.0.0/8, ::1 ".parse().unwrap();
        assert!(list.trusts(ip("10.0.0.9")) && list.trusts(ip("::1")));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_peer() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        let sent = headers(&[
            ("host", "10.0.0.2:3000"),
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "crm.example.test"),
        ]);
        // From the proxy: the address the proxy saw (not the one the client wrote first).
        let via = proxies.read(Some(ip("10.0.0.1")), &sent);
        assert_eq!(via.client, Some(ip("203.0.113.9")));
        assert_eq!(via.scheme, "https");
        assert_eq!(via.host.as_deref(), Some("crm.example.test"));
        // Straight from a client that wrote the same headers: none of them believed.
        let direct = proxies.read(Some(ip("198.51.100.7")), &sent);
        assert_eq!(direct.client, Some(ip("198.51.100.7")));
        assert_eq!(direct.scheme, "http");
        assert_eq!(direct.host.as_deref(), Some("10.0.0.2:3000"));
        // Two trusted proxies in a row: the first untrusted address from the right.
        let chain = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.5")]);
        let read = proxies.read(Some(ip("10.0.0.1")), &chain);
        assert_eq!(read.client, Some(ip("203.0.113.9")));
        // Nobody trusted: the peer, whatever the headers say.
        let none = TrustedProxies::default().read(Some(ip("10.0.0.1")), &sent);
        assert_eq!(none.client, Some(ip("10.0.0.1")));
    }
}
