//! Reading one git blob of any size with bounded memory.
//!
//! A blob up to [`MAX_IN_MEMORY`] is read whole through gix. A larger one is streamed: inflated
//! piece by piece straight from its loose object file or from its pack entry, read with plain
//! reads rather than through the pack's memory map (so resident memory does not grow with the
//! blob). A large blob stored as a delta cannot be streamed (its base must be rebuilt in memory
//! first): it is reported as too large, never skipped silently.

use gix::ObjectId;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Largest blob read whole into memory; larger ones are streamed.
pub const MAX_IN_MEMORY: u64 = 128 << 20;

/// Bytes of a streamed blob searched at a time by [`Blob::contains_each`].
const SEARCH_WINDOW: usize = 1 << 20;

/// A blob's content: whole, or a reader that yields exactly `size` bytes.
pub enum Blob {
    Whole(Vec<u8>),
    Stream {
        reader: Box<dyn Read + Send>,
        size: u64,
    },
}

impl Blob {
    pub fn size(&self) -> u64 {
        match self {
            Blob::Whole(d) => d.len() as u64,
            Blob::Stream { size, .. } => *size,
        }
    }

    /// Read the first `probe` bytes of a streamed blob into `head` (a whole blob is left as it
    /// is) and say whether the blob is binary: a NUL byte among its first `probe` bytes.
    pub fn probe(&mut self, head: &mut Vec<u8>, probe: usize) -> std::io::Result<bool> {
        let first = match self {
            Blob::Whole(d) => &d[..d.len().min(probe)],
            Blob::Stream { reader, .. } => {
                head.clear();
                reader.take(probe as u64).read_to_end(head)?;
                head.as_slice()
            }
        };
        Ok(super::is_binary(first))
    }

    /// Which of `needles` occur in the blob. A streamed blob is searched window by window, each
    /// window starting with the last bytes of the one before (as many as the longest needle), so
    /// a needle across two windows is found and memory stays one window whatever the blob's size.
    /// Reading stops once every needle is found.
    pub fn contains_each(self, needles: &[&[u8]]) -> std::io::Result<Vec<bool>> {
        let finders: Vec<memchr::memmem::Finder<'_>> =
            needles.iter().map(memchr::memmem::Finder::new).collect();
        let mut found = vec![false; needles.len()];
        let search = |hay: &[u8], found: &mut [bool]| {
            for (f, hit) in finders.iter().zip(found.iter_mut()) {
                *hit = *hit || f.find(hay).is_some();
            }
            found.iter().all(|&h| h)
        };
        let mut reader = match self {
            Blob::Whole(d) => {
                search(&d, &mut found);
                return Ok(found);
            }
            Blob::Stream { reader, .. } => reader,
        };
        let keep = needles.iter().map(|n| n.len()).max().unwrap_or(0);
        let mut window = Vec::with_capacity(SEARCH_WINDOW + keep);
        loop {
            let read = (&mut reader)
                .take(SEARCH_WINDOW as u64)
                .read_to_end(&mut window)?;
            if read == 0 || search(&window, &mut found) {
                return Ok(found);
            }
            window.drain(..window.len().saturating_sub(keep));
        }
    }

    /// Every line (without its `\n` or `\r\n`) in order, read in pieces for a streamed blob.
    pub fn for_each_line(self, mut f: impl FnMut(&[u8])) -> std::io::Result<()> {
        let strip = |l: &[u8]| -> usize {
            let l = l.strip_suffix(b"\n").unwrap_or(l);
            l.strip_suffix(b"\r").unwrap_or(l).len()
        };
        match self {
            Blob::Whole(d) => {
                for line in d.split_inclusive(|&b| b == b'\n') {
                    f(&line[..strip(line)]);
                }
            }
            Blob::Stream { reader, .. } => {
                let mut r = BufReader::new(reader);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    // Lines are bounded: a run without a newline is split into pieces.
                    if (&mut r).take(1 << 20).read_until(b'\n', &mut line)? == 0 {
                        break;
                    }
                    f(&line[..strip(&line)]);
                }
            }
        }
        Ok(())
    }
}

/// Why a blob could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {id} is missing")]
    Missing { id: ObjectId },
    #[error(
        "blob {id} is {size} bytes, stored as a delta: over the {} MiB leakgate rebuilds in memory, so it was not scanned",
        MAX_IN_MEMORY >> 20
    )]
    TooLarge { id: ObjectId, size: u64 },
    #[error("blob {id} cannot be read: {message}")]
    Read { id: ObjectId, message: String },
}

impl BlobError {
    /// Absent from the object database (as opposed to present but unreadable or too large).
    pub fn is_missing(&self) -> bool {
        matches!(self, BlobError::Missing { .. })
    }
}

/// The size of blob `id` from its header, without reading it; `None` when it is missing.
pub fn size(repo: &gix::Repository, id: ObjectId) -> Result<Option<u64>, BlobError> {
    match repo.try_find_header(id) {
        Ok(Some(h)) => Ok(Some(h.size())),
        Ok(None) => Ok(None),
        Err(e) => Err(BlobError::Read {
            id,
            message: e.to_string(),
        }),
    }
}

/// Open blob `id` for reading: whole when small, else streamed (see the module documentation).
pub fn open(repo: &gix::Repository, id: ObjectId) -> Result<Blob, BlobError> {
    let read_err = |message: String| BlobError::Read { id, message };
    let size = size(repo, id)?.ok_or(BlobError::Missing { id })?;
    if size <= MAX_IN_MEMORY {
        return match repo.find_object(id) {
            Ok(o) => Ok(Blob::Whole(o.detach().data)),
            Err(e) => Err(read_err(e.to_string())),
        };
    }
    let (dirs, _) = crate::source::odb::object_dirs(&repo.common_dir().join("objects"));
    let hex = id.to_hex().to_string();
    for dir in &dirs {
        let loose = dir.join(&hex[..2]).join(&hex[2..]);
        if loose.symlink_metadata().is_ok() {
            return loose_stream(&loose, size).map_err(|e| read_err(e.to_string()));
        }
    }
    for dir in &dirs {
        if let Some(found) = pack_stream(dir, repo.object_hash(), id, size) {
            return found;
        }
    }
    Err(read_err(
        "neither a loose object nor a pack entry holds it".into(),
    ))
}

/// A loose object's content: inflate its file and skip the `blob <size>\0` header.
fn loose_stream(path: &Path, size: u64) -> std::io::Result<Blob> {
    let (file, _) = crate::safe_fs::open_regular(path).map_err(std::io::Error::other)?;
    let mut inflater = Inflater::new(BufReader::new(file));
    let mut header = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if inflater.read(&mut byte)? == 0 || header.len() > 64 {
            return Err(std::io::Error::other("malformed loose object header"));
        }
        if byte[0] == 0 {
            break;
        }
        header.push(byte[0]);
    }
    let declared = header
        .strip_prefix(b"blob ")
        .and_then(|n| std::str::from_utf8(n).ok())
        .and_then(|n| n.parse::<u64>().ok());
    if declared != Some(size) {
        return Err(std::io::Error::other("loose object header does not match"));
    }
    Ok(Blob::Stream {
        reader: Box::new(Exact::new(inflater, size)),
        size,
    })
}

/// Blob `id` streamed from a pack in `dir/pack`, if a pack there holds it.
fn pack_stream(
    dir: &Path,
    hash: gix::hash::Kind,
    id: ObjectId,
    size: u64,
) -> Option<Result<Blob, BlobError>> {
    use gix::odb::pack;
    let read_err = |message: String| BlobError::Read { id, message };
    let idx_files: Vec<PathBuf> = std::fs::read_dir(dir.join("pack"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "idx"))
        .collect();
    for idx in idx_files {
        let Ok(index) = pack::index::File::at(&idx, hash) else {
            continue;
        };
        let Some(i) = index.lookup(id) else { continue };
        let offset = index.pack_offset_at_index(i);
        let pack_path = idx.with_extension("pack");
        let entry = match pack::data::File::at(&pack_path, hash).map(|p| p.entry(offset)) {
            Ok(Ok(e)) => e,
            Ok(Err(e)) => return Some(Err(read_err(e.to_string()))),
            Err(e) => return Some(Err(read_err(e.to_string()))),
        };
        if !matches!(entry.header, pack::data::entry::Header::Blob) {
            return Some(Err(BlobError::TooLarge { id, size }));
        }
        let open = || -> std::io::Result<Blob> {
            let (mut file, _) =
                crate::safe_fs::open_regular(&pack_path).map_err(std::io::Error::other)?;
            file.seek(SeekFrom::Start(entry.data_offset))?;
            Ok(Blob::Stream {
                reader: Box::new(Exact::new(Inflater::new(BufReader::new(file)), size)),
                size,
            })
        };
        return Some(open().map_err(|e| read_err(e.to_string())));
    }
    None
}

/// A zlib stream inflated as it is read.
struct Inflater<R> {
    input: R,
    state: gix::zlib::Decompress,
    done: bool,
}

impl<R: BufRead> Inflater<R> {
    fn new(input: R) -> Self {
        Inflater {
            input,
            state: gix::zlib::Decompress::new(),
            done: false,
        }
    }
}

impl<R: BufRead> Read for Inflater<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let n = gix::zlib::stream::inflate::read(&mut self.input, &mut self.state, out)?;
        if n == 0 {
            self.done = true;
        }
        Ok(n)
    }
}

/// Yields exactly `left` bytes of `inner`: an input that ends sooner is truncated (an error),
/// and nothing past the declared size is read.
struct Exact<R> {
    inner: R,
    left: u64,
}

impl<R> Exact<R> {
    fn new(inner: R, size: u64) -> Self {
        Exact { inner, left: size }
    }
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = out
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut out[..want])?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the object ends {} bytes before its declared size",
                    self.left
                ),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::Blob;

    /// Needles across window boundaries, at the very end, and absent ones, in a streamed blob.
    #[test]
    fn streamed_search_finds_needles_across_windows() {
        let window = super::SEARCH_WINDOW;
        let mut data = vec![b'.'; 3 * window + 17];
        data[window - 3..window + 4].copy_from_slice(b"ACROSS!");
        data[2 * window - 1..2 * window + 1].copy_from_slice(b"AB");
        let end = data.len();
        data[end - 4..].copy_from_slice(b"LAST");
        let stream = |d: &[u8]| Blob::Stream {
            reader: Box::new(std::io::Cursor::new(d.to_vec())),
            size: d.len() as u64,
        };
        let needles: [&[u8]; 4] = [b"ACROSS!", b"AB", b"LAST", b"ABSENT"];
        let want = vec![true, true, true, false];
        assert_eq!(stream(&data).contains_each(&needles).unwrap(), want);
        assert_eq!(Blob::Whole(data).contains_each(&needles).unwrap(), want);
        assert_eq!(stream(b"").contains_each(&needles[..1]).unwrap(), [false]);
    }
}
