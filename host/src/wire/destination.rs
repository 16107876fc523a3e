//! Where woonox may send a connection's keys and tokens. A store URL pointing at a cloud
//! metadata service (169.254.169.254) or another machine on the operator's private network
//! would receive a signed request; so every call resolves its host here and is refused
//! unless each address is public, or loopback (a store or a stand-in on this machine), or
//! private with the connection's explicit opt-in. Checking the resolved addresses at each
//! call, not the URL once, also stops a name that is later pointed elsewhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// What a service's addresses may be, besides public and loopback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reach {
    #[default]
    Public,
    /// The merchant said the store is on their private network (`--private-network`).
    PrivateToo,
}

/// What an address is, as far as sending secrets there goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    Loopback,
    Private,
    /// Never a shop: link-local and metadata services, unspecified, multicast, reserved.
    Never(&'static str),
}

/// The addresses of `host` woonox may connect to, or why it may not.
pub async fn resolve(host: &str, port: u16, reach: Reach) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot find the address of {host}: {e}"))?
        .collect();
    for addr in &addrs {
        refuse(host, addr.ip(), reach)?;
    }
    if addrs.is_empty() {
        return Err(format!("{host} has no address"));
    }
    Ok(addrs)
}

fn refuse(host: &str, ip: IpAddr, reach: Reach) -> Result<(), String> {
    match (kind(ip), reach) {
        (Kind::Public | Kind::Loopback, _) | (Kind::Private, Reach::PrivateToo) => Ok(()),
        (Kind::Private, Reach::Public) => Err(format!(
            "{host} is at {ip}, an address on a private network; woonox sends keys there only when told the \
             store really is on your network: connect it again with `woonox connect woocommerce … \
             --private-network`"
        )),
        (Kind::Never(what), _) => {
            Err(format!("{host} is at {ip}, {what}; that is never a shop or Fortnox, so woonox sends nothing there"))
        }
    }
}

/// `https` is required beyond this machine: a token sent over plain HTTP can be read on
/// the way. Only for URLs woonox's own settings give (Fortnox's, which has HTTPS).
pub fn require_https_beyond_loopback(what: &str, url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{what} {url:?} is not a URL: {e}"))?;
    let host = uri.host().unwrap_or_default().trim_matches(|c| c == '[' || c == ']');
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| kind(ip) == Kind::Loopback);
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(format!("{what} must be an https:// address (plain http only on this machine): got {url}")),
    }
}

fn kind(ip: IpAddr) -> Kind {
    match ip {
        IpAddr::V4(v4) => kind_v4(v4),
        IpAddr::V6(v6) => kind_v6(v6),
    }
}

fn kind_v4(ip: Ipv4Addr) -> Kind {
    let [a, b, ..] = ip.octets();
    match () {
        _ if ip.is_loopback() => Kind::Loopback,
        _ if ip.is_link_local() => Kind::Never("a link-local address, where cloud metadata services answer"),
        // Alibaba Cloud's metadata service sits inside the shared address space.
        _ if ip == Ipv4Addr::new(100, 100, 100, 200) => Kind::Never("a cloud metadata service"),
        _ if ip.is_unspecified() || a == 0 => Kind::Never("an unspecified address"),
        _ if ip.is_multicast() || ip.is_broadcast() || a >= 240 => Kind::Never("a multicast or reserved address"),
        _ if ip.is_private() || (a == 100 && (64..128).contains(&b)) => Kind::Private,
        _ => Kind::Public,
    }
}

fn kind_v6(ip: Ipv6Addr) -> Kind {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return kind_v4(v4);
    }
    let s = ip.segments();
    match () {
        _ if ip.is_loopback() => Kind::Loopback,
        _ if ip.is_unspecified() => Kind::Never("an unspecified address"),
        // NAT64 (64:ff9b::/96) reaches the IPv4 address it embeds.
        _ if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] => kind_v4(Ipv4Addr::from_bits(ip.to_bits() as u32)),
        _ if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) => Kind::Never("a cloud metadata service"),
        _ if s[0] & 0xffc0 == 0xfe80 => Kind::Never("a link-local address, where cloud metadata services answer"),
        _ if ip.is_multicast() => Kind::Never("a multicast address"),
        _ if s[0] & 0xfe00 == 0xfc00 => Kind::Private,
        _ => Kind::Public,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(ip: &str) -> Kind {
        kind(ip.parse().unwrap())
    }

    #[test]
    fn metadata_link_local_and_private_addresses_are_told_apart() {
        for never in ["169.254.169.254", "100.100.100.200", "0.0.0.0", "224.0.0.1", "fe80::1", "fd00:ec2::254"] {
            assert!(matches!(of(never), Kind::Never(_)), "{never}");
        }
        for hidden in ["::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe"] {
            assert!(matches!(of(hidden), Kind::Never(_)), "{hidden} embeds the metadata address");
        }
        for private in ["10.0.0.5", "172.16.1.1", "192.168.1.10", "100.64.0.1", "fd12::1", "::ffff:10.1.2.3"] {
            assert_eq!(of(private), Kind::Private, "{private}");
        }
        for public in ["93.184.216.34", "2a00:1450::1", "172.32.0.1", "100.128.0.1"] {
            assert_eq!(of(public), Kind::Public, "{public}");
        }
        assert_eq!(of("127.0.0.1"), Kind::Loopback);
        assert_eq!(of("::1"), Kind::Loopback);
    }

    #[test]
    fn private_needs_the_opt_in_and_never_is_never() {
        let private = "10.0.0.5".parse().unwrap();
        assert!(refuse("shop", private, Reach::Public).unwrap_err().contains("--private-network"));
        assert!(refuse("shop", private, Reach::PrivateToo).is_ok());
        let metadata = "169.254.169.254".parse().unwrap();
        assert!(refuse("shop", metadata, Reach::PrivateToo).unwrap_err().contains("metadata"));
    }

    #[test]
    fn https_is_required_beyond_loopback() {
        assert!(require_https_beyond_loopback("x", "https://api.fortnox.se").is_ok());
        assert!(require_https_beyond_loopback("x", "http://127.0.0.1:9000").is_ok());
        assert!(require_https_beyond_loopback("x", "http://localhost:9000").is_ok());
        assert!(require_https_beyond_loopback("x", "http://[::1]:9000").is_ok());
        assert!(require_https_beyond_loopback("x", "http://api.fortnox.se").unwrap_err().contains("https://"));
        assert!(require_https_beyond_loopback("x", "ftp://127.0.0.1").is_err());
    }
}
