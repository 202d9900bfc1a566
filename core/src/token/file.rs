//! The partner token kept in a file, so that processes sharing a directory (PHP-FPM workers, cron
//! jobs, CLI runs) ask for it once between them rather than once each.
//!
//! One file per partner ID and API base, named after a SHA-256 of the two, holding
//! `{"partner_id", "api_base", "access_token"}` (never the secret). It is written whole to a
//! temporary file of mode 0600 in the same directory and renamed over the old one, so a reader sees
//! the old file or the new one, never a part. A file is used only if it is a regular file (not a
//! link) of the process's user with no permission for group or others, and only if it names the
//! same partner and API base. Every buffer that held the token is wiped.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::Value;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// Largest token file read (a token is at most a few hundred bytes).
const MAX_FILE_BYTES: u64 = 16 * 1024;

/// The token file of one partner ID and API base in a directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenFile {
    path: PathBuf,
    partner_id: String,
    api_base: String,
}

impl TokenFile {
    pub(crate) fn new(dir: &Path, partner_id: &str, api_base: &str) -> TokenFile {
        let mut key = Vec::with_capacity(partner_id.len() + api_base.len() + 1);
        key.extend_from_slice(partner_id.as_bytes());
        key.push(0);
        key.extend_from_slice(api_base.as_bytes());
        let digest = ring::digest::digest(&ring::digest::SHA256, &key);
        let hex: String = digest.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        TokenFile {
            path: dir.join(format!("jetpack-partner-token-{hex}.json")),
            partner_id: partner_id.to_string(),
            api_base: api_base.to_string(),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The token in the file, if there is a usable one.
    pub(crate) fn read(&self) -> Option<Secret> {
        let meta = fs::symlink_metadata(&self.path).ok()?;
        if !meta.is_file() || meta.mode() & 0o077 != 0 || Some(meta.uid()) != process_uid() {
            return None;
        }
        let mut text = Zeroizing::new(Vec::new());
        File::open(&self.path)
            .ok()?
            .take(MAX_FILE_BYTES)
            .read_to_end(&mut text)
            .ok()?;
        let value: Value = serde_json::from_slice(&text).ok()?;
        let field = |name: &str| value.get(name).and_then(Value::as_str);
        if field("partner_id") != Some(self.partner_id.as_str())
            || field("api_base") != Some(self.api_base.as_str())
        {
            return None;
        }
        let token = field("access_token")?;
        let token = (!token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()))
            .then(|| Secret::new(token));
        wipe_strings(value);
        token
    }

    /// Replaces the file with one holding `token`. Errors are returned for logging only: the token
    /// is used either way.
    pub(crate) fn write(&self, token: &Secret) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let text = Zeroizing::new(
            serde_json::json!({
                "partner_id": self.partner_id,
                "api_base": self.api_base,
                "access_token": token.expose(),
            })
            .to_string(),
        );
        let mut random = [0u8; 8];
        getrandom::getrandom(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("token");
        let temporary = dir.join(format!(".{name}.{suffix}.tmp"));
        let result = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&temporary)?;
            // The mode asked for is filtered by the umask; make sure it is exactly 0600.
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            fs::rename(&temporary, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result
    }

    /// Removes the file if it still holds `refused` (another process may have replaced it already).
    pub(crate) fn invalidate(&self, refused: &Secret) {
        if self.read().as_ref() == Some(refused) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The user this process runs as (the owner of its /proc entry).
fn process_uid() -> Option<u32> {
    fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Wipes the strings of a parsed file (the token among them) before they are freed.
fn wipe_strings(value: Value) {
    use zeroize::Zeroize;
    if let Value::Object(map) = value {
        for (_, v) in map {
            if let Value::String(mut s) = v {
                s.zeroize();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("jp-token-file-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn written_then_read_with_mode_0600_and_no_secret() {
        let dir = temp_dir("roundtrip");
        let file = TokenFile::new(&dir, "12345", "https://api.example");
        assert!(file.read().is_none());
        file.write(&Secret::new("tok-abc")).unwrap();
        assert_eq!(file.read().unwrap().expose(), "tok-abc");
        let meta = fs::metadata(file.path()).unwrap();
        assert_eq!(meta.mode() & 0o777, 0o600);
        // Only the file itself is left: the temporary one was renamed.
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        let text = fs::read_to_string(file.path()).unwrap();
        assert!(text.contains("\"partner_id\":\"12345\""), "{text}");
        file.invalidate(&Secret::new("another-token"));
        assert!(file.read().is_some(), "a different token leaves the file");
        file.invalidate(&Secret::new("tok-abc"));
        assert!(file.read().is_none());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keyed_by_partner_and_api_base() {
        let dir = Path::new("/d");
        let a = TokenFile::new(dir, "1", "https://a.example");
        assert_eq!(a, TokenFile::new(dir, "1", "https://a.example"));
        assert_ne!(
            a.path(),
            TokenFile::new(dir, "2", "https://a.example").path()
        );
        assert_ne!(
            a.path(),
            TokenFile::new(dir, "1", "https://b.example").path()
        );
        // The separator keeps ("1", "2x") apart from ("12", "x").
        assert_ne!(
            TokenFile::new(dir, "1", "2x").path(),
            TokenFile::new(dir, "12", "x").path()
        );
    }

    #[test]
    fn files_open_to_others_or_for_another_partner_are_ignored() {
        let dir = temp_dir("refused");
        let file = TokenFile::new(&dir, "12345", "https://api.example");
        file.write(&Secret::new("tok-abc")).unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(file.read().is_none(), "readable by others");
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(file.read().is_some());
        // A file of another partner under this name (a hash collision, or a copied file).
        let other = TokenFile::new(&dir, "999", "https://api.example");
        other.write(&Secret::new("tok-other")).unwrap();
        fs::copy(other.path(), file.path()).unwrap();
        fs::set_permissions(file.path(), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(file.read().is_none(), "another partner's file");
        fs::remove_dir_all(&dir).unwrap();
    }
}
