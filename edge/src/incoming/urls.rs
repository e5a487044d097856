//! Small URL helpers: origins, query parameters, percent-encoding.
//!
//! The edge handles few URLs and all of them simply; a full URL crate would cost more than
//! these functions. Anything unusual (user info, non-http schemes) is refused, never guessed at.

/// The origin (`scheme://host[:port]`) of a plain `http(s)` URL without user info.
pub fn origin(url: &str) -> Option<&str> {
    let scheme_len = if url.starts_with("https://") {
        "https://".len()
    } else if url.starts_with("http://") {
        "http://".len()
    } else {
        return None;
    };
    let end = url[scheme_len..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_len + i);
    let authority = &url[scheme_len..end];
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return None;
    }
    Some(&url[..end])
}

/// The host of a plain `http(s)` URL (without port or brackets).
pub fn host(url: &str) -> Option<&str> {
    let origin = origin(url)?;
    let authority = &origin[origin.find("://")? + 3..];
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

/// True for `localhost` and loopback addresses.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// True for a `Host` header value (`host[:port]`, `[v6]:port`) naming a loopback host.
pub fn is_loopback_authority(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map(|(h, _)| h),
        None => authority.split(':').next(),
    };
    let port_ok = authority
        .rsplit_once(']')
        .map_or(authority, |(_, rest)| rest)
        .split_once(':')
        .is_none_or(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    port_ok && host.is_some_and(is_loopback_host)
}

/// The decoded value of the first `name=` parameter in a query string.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key)? == name)
            .then(|| percent_decode(value))
            .flatten()
    })
}

/// Encodes everything but unreserved characters (RFC 3986 §2.3).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (as a space); `None` for bad escapes or bad UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_hosts() {
        assert_eq!(
            origin("https://db.corp.example/mcp?x=1"),
            Some("https://db.corp.example")
        );
        assert_eq!(
            origin("http://127.0.0.1:3003"),
            Some("http://127.0.0.1:3003")
        );
        assert_eq!(origin("https://user@evil.example/mcp"), None);
        assert_eq!(origin("javascript:alert(1)"), None);
        assert_eq!(origin("https:///x"), None);
        assert_eq!(host("http://[::1]:80/x"), Some("::1"));
        assert_eq!(host("https://a.b:8443"), Some("a.b"));
        assert!(
            is_loopback_host("127.0.0.1")
                && is_loopback_host("localhost")
                && !is_loopback_host("10.0.0.1")
        );
    }

    #[test]
    fn loopback_host_headers() {
        for good in [
            "127.0.0.1",
            "127.0.0.1:3000",
            "127.1.2.3:80",
            "localhost:3000",
            "LOCALHOST",
            "[::1]:3000",
            "[::1]",
        ] {
            assert!(is_loopback_authority(good), "{good}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "127.0.0.1.nip.io:3000",
            "localhost.evil.example",
            "localhost:3000:1",
            "localhost:",
            "10.0.0.1:3000",
            "[::2]:3000",
            "0.0.0.0:3000",
        ] {
            assert!(!is_loopback_authority(bad), "{bad}");
        }
    }

    #[test]
    fn query_and_escapes() {
        assert_eq!(
            query_param(
                "a=1&redirect_url=https%3A%2F%2Fx.example%2Fp%3Fq%3D1",
                "redirect_url"
            )
            .as_deref(),
            Some("https://x.example/p?q=1")
        );
        assert_eq!(query_param("a=1", "b"), None);
        assert_eq!(query_param("b=%zz", "b"), None);
        assert_eq!(
            percent_encode("https://x/p?q=1 2"),
            "https%3A%2F%2Fx%2Fp%3Fq%3D1%202"
        );
        assert_eq!(
            percent_decode(&percent_encode("Grüße / ?&=")).as_deref(),
            Some("Grüße / ?&=")
        );
    }
}
