//! JSON pointer helpers (RFC 6901) shared by the manifest readers.
//!
//! Owns escaping/joining of pointers and ancestor walking. Must not touch files or spans.

/// Escapes one reference token: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    escape_into(&mut out, token);
    out
}

/// Appends the escaped `token` to `out` (as [`escape`] writes it, without a copy).
pub(crate) fn escape_into(out: &mut String, token: &str) {
    let mut rest = token;
    while let Some(i) = rest.find(['~', '/']) {
        out.push_str(&rest[..i]);
        out.push_str(if rest.as_bytes()[i] == b'~' {
            "~0"
        } else {
            "~1"
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// Undoes [`escape`].
pub fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// `parent` + `/` + escaped `token`.
pub fn push(parent: &str, token: &str) -> String {
    let mut out = String::with_capacity(parent.len() + 1 + token.len());
    out.push_str(parent);
    out.push('/');
    escape_into(&mut out, token);
    out
}

/// The pointer without its last token; `None` for the root `""`.
pub fn parent(pointer: &str) -> Option<&str> {
    pointer.rfind('/').map(|i| &pointer[..i])
}

/// The unescaped last token; `None` for the root.
pub fn last_token(pointer: &str) -> Option<String> {
    pointer.rfind('/').map(|i| unescape(&pointer[i + 1..]))
}

/// Concatenates a base pointer and a pointer relative to it (both may be `""`).
pub fn join(base: &str, relative: &str) -> String {
    if relative.is_empty() {
        base.to_owned()
    } else if relative.starts_with('/') {
        format!("{base}{relative}")
    } else {
        format!("{base}/{relative}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_walks() {
        assert_eq!(push("/a", "b/c~d"), "/a/b~1c~0d");
        assert_eq!(escape("~/x~"), "~0~1x~0");
        assert_eq!(escape("plain"), "plain");
        assert_eq!(last_token("/a/b~1c~0d").as_deref(), Some("b/c~d"));
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(join("/users/3", "/email"), "/users/3/email");
        assert_eq!(join("/users/3", ""), "/users/3");
    }
}
