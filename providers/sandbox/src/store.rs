//! The resource store: every emulated resource, kept in memory and on disk.
//!
//! Owns: collections of records (one collection per resource type, e.g.
//! `storage.buckets`, `secretmanager.versions`), keyed by a string the service
//! chooses (a bucket name, `projects/123/secrets/s`...), and their persistence:
//! each collection is one JSON file `<data_dir>/<collection>.json`, rewritten
//! atomically (temporary file, fsync, rename) on every change and read back
//! when the server starts.
//!
//! Does not own: what a record means. Services build and read records; the
//! store only keeps them. It takes no locks itself: the server wraps it in a
//! mutex.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Version of the on-disk format, written in every file.
const FORMAT_VERSION: u32 = 1;

/// One stored resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The resource exactly as the API returns it.
    pub resource: Value,
    /// Wall-clock milliseconds (Unix epoch) when it was created.
    #[serde(default)]
    pub created_ms: i64,
    /// What the API never returns as is: object bytes, secret payloads,
    /// counters, the time a change takes effect...
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub hidden: Map<String, Value>,
}

impl Record {
    pub fn new(resource: Value, created_ms: i64) -> Record {
        Record { resource, created_ms, hidden: Map::new() }
    }

    /// A hidden integer, or 0.
    pub fn hidden_i64(&self, key: &str) -> i64 {
        self.hidden.get(key).and_then(Value::as_i64).unwrap_or(0)
    }

    /// A hidden string, or "".
    pub fn hidden_str(&self, key: &str) -> &str {
        self.hidden.get(key).and_then(Value::as_str).unwrap_or("")
    }
}

/// The file format of one collection.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CollectionFile {
    version: u32,
    records: BTreeMap<String, Record>,
}

/// All collections, and where they are saved.
#[derive(Debug, Default)]
pub struct Store {
    /// `None` keeps everything in memory only.
    dir: Option<PathBuf>,
    collections: BTreeMap<String, BTreeMap<String, Record>>,
}

impl Store {
    /// A store that is never saved.
    pub fn in_memory() -> Store {
        Store::default()
    }

    /// Opens (creating it if needed) the data directory and loads every
    /// collection file in it.
    pub fn open(dir: &Path) -> io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let mut collections = BTreeMap::new();
        for (name, path) in collection_files(dir)? {
            let text = std::fs::read_to_string(&path)?;
            let file: CollectionFile = serde_json::from_str(&text)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))?;
            if file.version != FORMAT_VERSION {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: format version {} is not {FORMAT_VERSION}", path.display(), file.version),
                ));
            }
            collections.insert(name, file.records);
        }
        Ok(Store { dir: Some(dir.to_path_buf()), collections })
    }

    pub fn get(&self, collection: &str, key: &str) -> Option<&Record> {
        self.collections.get(collection)?.get(key)
    }

    /// Every record of a collection, in key order.
    pub fn iter<'a>(&'a self, collection: &str) -> impl Iterator<Item = (&'a String, &'a Record)> + 'a {
        self.collections.get(collection).into_iter().flat_map(|c| c.iter())
    }

    /// Records whose key starts with `prefix`, in key order.
    pub fn iter_prefix<'a>(&'a self, collection: &str, prefix: &'a str) -> impl Iterator<Item = (&'a String, &'a Record)> + 'a {
        self.iter(collection).filter(move |(k, _)| k.starts_with(prefix))
    }

    /// Inserts or replaces a record, then saves the collection.
    pub fn put(&mut self, collection: &str, key: &str, record: Record) -> io::Result<()> {
        self.collections.entry(collection.to_string()).or_default().insert(key.to_string(), record);
        self.save(collection)
    }

    /// Removes a record (if present), then saves the collection.
    pub fn remove(&mut self, collection: &str, key: &str) -> io::Result<Option<Record>> {
        let old = self.collections.get_mut(collection).and_then(|c| c.remove(key));
        if old.is_some() {
            self.save(collection)?;
        }
        Ok(old)
    }

    /// Writes one collection to `<dir>/<collection>.json` atomically.
    fn save(&self, collection: &str) -> io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let records = self.collections.get(collection).cloned().unwrap_or_default();
        let file = CollectionFile { version: FORMAT_VERSION, records };
        let text = serde_json::to_vec_pretty(&file).map_err(io::Error::other)?;
        let path = dir.join(format!("{collection}.json"));
        let tmp = dir.join(format!(".{collection}.json.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)
    }
}

/// `(collection name, path)` of every collection file in `dir`.
fn collection_files(dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        if file_name.starts_with('.') {
            continue;
        }
        if let Some(name) = file_name.strip_suffix(".json") {
            if is_collection_name(name) {
                out.push((name.to_string(), path.clone()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Collection names are `api.kind`: lowercase letters, digits, dots.
fn is_collection_name(name: &str) -> bool {
    name.contains('.') && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.')
}

/// `(collection, key)` of every record saved in `dir`, sorted. Unreadable
/// files are skipped.
pub fn list(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(files) = collection_files(dir) else { return out };
    for (name, path) in files {
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let Ok(file) = serde_json::from_str::<CollectionFile>(&text) else { continue };
        out.extend(file.records.into_keys().map(|k| (name.clone(), k)));
    }
    out
}

/// Deletes every collection file (and leftover temporary file) in `dir`.
/// Other files are left alone; a missing directory is fine.
pub fn reset(dir: &Path) -> io::Result<()> {
    for (_, path) in collection_files(dir)? {
        std::fs::remove_file(path)?;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        let tmp = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') && n.ends_with(".json.tmp"));
        if tmp {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn saves_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path()).unwrap();
        s.put("storage.buckets", "b1", Record::new(json!({"name":"b1"}), 5)).unwrap();
        s.put("storage.buckets", "b2", Record::new(json!({"name":"b2"}), 6)).unwrap();
        s.remove("storage.buckets", "b2").unwrap();
        let s2 = Store::open(dir.path()).unwrap();
        assert_eq!(s2.get("storage.buckets", "b1").map(|r| r.created_ms), Some(5));
        assert!(s2.get("storage.buckets", "b2").is_none());
        assert_eq!(list(dir.path()), vec![("storage.buckets".to_string(), "b1".to_string())]);
        std::fs::write(dir.path().join("notes.txt"), "keep").unwrap();
        reset(dir.path()).unwrap();
        assert!(list(dir.path()).is_empty());
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("storage.buckets.json"), "{not json").unwrap();
        assert!(Store::open(dir.path()).is_err());
        assert!(list(dir.path()).is_empty());
    }
}
