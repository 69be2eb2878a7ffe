//! [`Spill`]: bytes kept aside, in memory up to a bound, then in a
//! temporary file that has no name.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The size of the pieces a [`Spill`] hands back from its file: 64 KiB.
const PIECE: usize = 64 * 1024;

/// Bytes kept aside: the first ones in memory, up to a bound, the rest in a
/// temporary file that has no name.
///
/// The file is made when the bytes first outgrow the memory bound (or when
/// [`move_to_file`](Spill::move_to_file) asks): on Linux with `O_TMPFILE`,
/// elsewhere (or where the file system refuses that) created with mode
/// 0600 under a fresh name, retried if the name is taken, and unlinked at
/// once. Nothing is left on disk when the `Spill` is dropped, nor when the
/// process is killed. [`Spool`](crate::Spool) and
/// [`Ordered`](crate::Ordered) keep their outputs in `Spill`s.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use procpump_adapters::Spill;
///
/// let mut spill = Spill::new(4);
/// spill.keep(b"abc")?;
/// assert!(!spill.is_on_disk());
/// spill.keep(b"defg")?;
/// assert!(spill.is_on_disk());
/// assert_eq!(spill.len(), 7);
///
/// let mut back = Vec::new();
/// spill.write_to(&mut back)?;
/// assert_eq!(back, b"abcdefg");
/// assert!(spill.is_empty() && !spill.is_on_disk());
/// # Ok(())
/// # }
/// ```
pub struct Spill {
    memory: Vec<u8>,
    limit: usize,
    dir: Option<PathBuf>,
    file: Option<File>,
    len: u64,
}

impl Spill {
    /// An empty spill that keeps up to `memory` bytes in memory (0: every
    /// byte goes to the file).
    pub fn new(memory: usize) -> Spill {
        Spill {
            memory: Vec::new(),
            limit: memory,
            dir: None,
            file: None,
            len: 0,
        }
    }

    /// Where the file is made. Default: [`std::env::temp_dir`] (`$TMPDIR`,
    /// or `/tmp`), read when the file is needed.
    ///
    /// # Examples
    ///
    /// ```
    /// use procpump_adapters::Spill;
    ///
    /// let mut spill = Spill::new(0).temp_dir("/nonexistent");
    /// let err = spill.keep(b"x").unwrap_err();
    /// assert!(err.to_string().contains("/nonexistent"));
    /// ```
    pub fn temp_dir(mut self, dir: impl Into<PathBuf>) -> Spill {
        self.dir = Some(dir.into());
        self
    }

    /// Bytes kept.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of memory the spill holds (its buffer's capacity), at most
    /// the bound given to [`new`](Spill::new).
    pub fn resident(&self) -> usize {
        self.memory.capacity()
    }

    /// True while the bytes are in the file.
    pub fn is_on_disk(&self) -> bool {
        self.file.is_some()
    }

    /// Keeps `bytes`: in memory while they fit within the bound, in the
    /// file past it.
    ///
    /// # Errors
    ///
    /// Making or writing the file failed (the message names the
    /// directory). What was kept before is still kept.
    pub fn keep(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.file.is_none() && self.memory.len() + bytes.len() <= self.limit {
            self.hold(bytes);
        } else {
            self.move_to_file()?;
            let result = match self.file.as_mut() {
                Some(file) => file.write_all(bytes),
                None => Ok(()),
            };
            result.map_err(|err| self.named(err, "cannot write a temporary file"))?;
        }
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Appends to memory, growing the buffer no further than the bound.
    fn hold(&mut self, bytes: &[u8]) {
        let needed = self.memory.len() + bytes.len();
        if needed > self.memory.capacity() {
            let target = needed.max(self.memory.capacity() * 2).min(self.limit);
            self.memory
                .reserve_exact(target.max(needed) - self.memory.len());
        }
        self.memory.extend_from_slice(bytes);
    }

    /// Moves what memory holds into the file (made now if there is none):
    /// the spill holds no memory afterwards.
    ///
    /// # Errors
    ///
    /// Making or writing the file failed (the message names the
    /// directory); the bytes stay in memory.
    pub fn move_to_file(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            let dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
            self.file = Some(temp_file(&dir)?);
        }
        if let Some(file) = self.file.as_mut() {
            if let Err(err) = file.write_all(&self.memory) {
                // Memory holds bytes only before the file is made: this
                // file is new, and what it got of them is dropped with it.
                self.file = None;
                return Err(self.named(err, "cannot write a temporary file"));
            }
        }
        self.memory = Vec::new();
        Ok(())
    }

    /// Hands every byte kept to `out`, in order, in pieces, and empties
    /// the spill (the file is closed).
    ///
    /// # Errors
    ///
    /// `out`'s first error, or reading the file back failed. The spill is
    /// empty afterwards, even then.
    pub fn drain(&mut self, mut out: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let memory = std::mem::take(&mut self.memory);
        let file = self.file.take();
        self.len = 0;
        if !memory.is_empty() {
            out(&memory)?;
        }
        let Some(mut file) = file else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(0))?;
        let mut piece = vec![0; PIECE];
        loop {
            match file.read(&mut piece) {
                Ok(0) => return Ok(()),
                Ok(n) => out(&piece[..n])?,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Writes every byte kept to `writer` and empties the spill, as
    /// [`drain`](Spill::drain) does. Returns the bytes written.
    ///
    /// # Errors
    ///
    /// Writing or reading the file back failed.
    pub fn write_to(&mut self, writer: &mut impl Write) -> io::Result<u64> {
        let mut written = 0;
        self.drain(|bytes| {
            writer.write_all(bytes)?;
            written += bytes.len() as u64;
            Ok(())
        })?;
        Ok(written)
    }

    /// `err`, its message naming the directory.
    fn named(&self, err: io::Error, what: &str) -> io::Error {
        let dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        in_dir(err, what, &dir)
    }
}

impl fmt::Debug for Spill {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spill")
            .field("len", &self.len)
            .field("memory", &self.memory.len())
            .field("limit", &self.limit)
            .field("on_disk", &self.file.is_some())
            .field("dir", &self.dir)
            .finish()
    }
}

/// A new temporary file in `dir` that has no name: `O_TMPFILE` on Linux,
/// else created and unlinked at once.
fn temp_file(dir: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{openat, Mode, OFlags, CWD};
        let flags = OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC;
        match openat(CWD, dir, flags, Mode::RUSR | Mode::WUSR) {
            Ok(fd) => return Ok(File::from(fd)),
            Err(err) => log::debug!(
                "O_TMPFILE in {} refused ({err}): creating and unlinking instead",
                dir.display()
            ),
        }
    }
    create_and_unlink(dir)
}

/// Makes a file name nobody else uses here.
static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

/// Creates a uniquely named file in `dir` (mode 0600, a new name if one is
/// taken) and unlinks it at once.
fn create_and_unlink(dir: &Path) -> io::Result<File> {
    let cannot = "cannot make a temporary file";
    let mut last = None;
    for _ in 0..64 {
        let name = format!(
            ".procpump-spill-{}-{}",
            std::process::id(),
            NEXT_NAME.fetch_add(1, Ordering::Relaxed)
        );
        let path = dir.join(name);
        match open_private(&path) {
            Ok(file) => {
                std::fs::remove_file(&path).map_err(|err| in_dir(err, cannot, dir))?;
                return Ok(file);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => last = Some(err),
            Err(err) => return Err(in_dir(err, cannot, dir)),
        }
    }
    let err = last.unwrap_or_else(|| io::ErrorKind::AlreadyExists.into());
    Err(in_dir(err, cannot, dir))
}

/// Creates `path`, readable and writable by its owner only.
fn open_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// `err` as "`what` in `dir`: `err`", of the same kind.
fn in_dir(err: io::Error, what: &str, dir: &Path) -> io::Error {
    io::Error::new(err.kind(), format!("{what} in {}: {err}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("procpump-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn is_empty(dir: &Path) -> bool {
        std::fs::read_dir(dir).unwrap().next().is_none()
    }

    fn drained(spill: &mut Spill) -> Vec<u8> {
        let mut all = Vec::new();
        spill.write_to(&mut all).unwrap();
        all
    }

    #[test]
    fn both_ways_of_making_a_file_leave_no_name_and_are_private() {
        let dir = fresh_dir("spill-unit");
        for mut file in [temp_file(&dir).unwrap(), create_and_unlink(&dir).unwrap()] {
            assert!(is_empty(&dir));
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = file.metadata().unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            file.write_all(b"kept").unwrap();
            file.seek(SeekFrom::Start(0)).unwrap();
            assert_eq!(io::read_to_string(&mut file).unwrap(), "kept");
        }
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn a_taken_name_is_retried() {
        let dir = fresh_dir("spill-taken");
        let next = NEXT_NAME.load(Ordering::Relaxed);
        for n in next..next + 3 {
            let taken = dir.join(format!(".procpump-spill-{}-{n}", std::process::id()));
            std::fs::write(taken, b"").unwrap();
        }
        drop(create_and_unlink(&dir).unwrap());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn memory_only_below_the_bound() {
        let mut spill = Spill::new(8);
        spill.keep(b"abcd").unwrap();
        spill.keep(b"efgh").unwrap();
        assert!(!spill.is_on_disk());
        assert!(spill.resident() <= 8);
        assert_eq!(
            (spill.len(), drained(&mut spill)),
            (8, b"abcdefgh".to_vec())
        );
        assert!(spill.is_empty());
    }

    #[test]
    fn past_the_bound_everything_reads_back_exactly() {
        let dir = fresh_dir("spill-back");
        let mut spill = Spill::new(1000).temp_dir(&dir);
        let mut expected = Vec::new();
        for n in 0..5000u32 {
            let bytes = n.to_le_bytes();
            spill.keep(&bytes[..(n % 4) as usize + 1]).unwrap();
            expected.extend_from_slice(&bytes[..(n % 4) as usize + 1]);
        }
        assert!(spill.is_on_disk());
        assert_eq!(spill.resident(), 0);
        assert!(is_empty(&dir));
        assert_eq!(drained(&mut spill), expected);
        // Used again after draining: memory first.
        spill.keep(b"again").unwrap();
        assert!(!spill.is_on_disk());
        assert_eq!(drained(&mut spill), b"again");
        std::fs::remove_dir(&dir).unwrap();
    }

    #[test]
    fn moving_to_the_file_frees_the_memory() {
        let mut spill = Spill::new(1 << 20);
        spill.keep(b"held").unwrap();
        spill.move_to_file().unwrap();
        assert!(spill.is_on_disk() && spill.resident() == 0);
        spill.keep(b" then on disk").unwrap();
        assert_eq!(drained(&mut spill), b"held then on disk");
    }

    #[test]
    fn a_vanished_directory_is_an_error_that_names_it_and_loses_nothing_kept() {
        let dir = fresh_dir("spill-vanished");
        let mut spill = Spill::new(4).temp_dir(&dir);
        spill.keep(b"abc").unwrap();
        std::fs::remove_dir(&dir).unwrap();
        let err = spill.keep(b"defg").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        let message = err.to_string();
        assert!(message.contains(&*dir.to_string_lossy()), "{message}");
        assert!(message.starts_with("cannot make a temporary file in"));
        assert_eq!(drained(&mut spill), b"abc");
    }

    #[test]
    fn a_directory_that_is_a_file_is_an_error_that_names_it() {
        let dir = fresh_dir("spill-not-a-dir");
        let file = dir.join("file");
        std::fs::write(&file, b"").unwrap();
        let mut spill = Spill::new(0).temp_dir(&file);
        let err = spill.keep(b"x").unwrap_err();
        assert!(err.to_string().contains(&*file.to_string_lossy()), "{err}");
        assert!(spill.is_empty() && !spill.is_on_disk());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn an_unwritable_directory_is_an_error_that_names_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh_dir("spill-unwritable");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        let mut spill = Spill::new(0).temp_dir(&dir);
        let result = spill.keep(b"x");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::remove_dir(&dir).unwrap();
        if rustix::process::geteuid().is_root() {
            return; // root writes anywhere
        }
        let err = result.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains(&*dir.to_string_lossy()));
    }
}
