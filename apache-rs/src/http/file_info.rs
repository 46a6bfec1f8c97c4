//! The file a request maps to (`r->finfo`), and asking the file system about any other
//! (`apr_stat`).

use crate::core::bits::bit_set;
use crate::core::strings;
use crate::http::Request;
use apache_sys as ffi;

bit_set! {
    /// Which fields of a file's information are asked for or known (APR's `APR_FINFO_*`).
    ///
    /// ```
    /// use apache::http::FinfoFields;
    /// assert!(FinfoFields::NORM.contains(FinfoFields::MIN));
    /// assert!(FinfoFields::MIN.contains(FinfoFields::SIZE | FinfoFields::MTIME));
    /// ```
    FinfoFields(i32) {
        /// `APR_FINFO_LINK`: the link itself, not what it points to.
        LINK = ffi::APR_FINFO_LINK;
        /// `APR_FINFO_MTIME`
        MTIME = ffi::APR_FINFO_MTIME;
        /// `APR_FINFO_CTIME`
        CTIME = ffi::APR_FINFO_CTIME;
        /// `APR_FINFO_ATIME`
        ATIME = ffi::APR_FINFO_ATIME;
        /// `APR_FINFO_SIZE`
        SIZE = ffi::APR_FINFO_SIZE;
        /// `APR_FINFO_CSIZE`: the storage size.
        CSIZE = ffi::APR_FINFO_CSIZE;
        /// `APR_FINFO_DEV`
        DEV = ffi::APR_FINFO_DEV;
        /// `APR_FINFO_INODE`
        INODE = ffi::APR_FINFO_INODE;
        /// `APR_FINFO_NLINK`
        NLINK = ffi::APR_FINFO_NLINK;
        /// `APR_FINFO_TYPE`
        TYPE = ffi::APR_FINFO_TYPE;
        /// `APR_FINFO_USER`
        USER = ffi::APR_FINFO_USER;
        /// `APR_FINFO_GROUP`
        GROUP = ffi::APR_FINFO_GROUP;
        /// `APR_FINFO_PROT`: the permission bits.
        PROT = ffi::APR_FINFO_PROT;
        /// `APR_FINFO_NAME`: the name as found.
        NAME = ffi::APR_FINFO_NAME;
        /// `APR_FINFO_MIN`: type, size, times.
        MIN = ffi::APR_FINFO_MIN;
        /// `APR_FINFO_NORM`: what a Unix `stat` gives.
        NORM = ffi::APR_FINFO_NORM;
    }
}

/// What httpd knows of the file a request maps to (`r->finfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// `None` when there is no such file.
    pub kind: Option<FileKind>,
    /// The APR file type (`APR_NOFILE` 0, `APR_REG` 1, `APR_DIR` 2, `APR_CHR` 3, `APR_BLK` 4,
    /// `APR_PIPE` 5, `APR_LNK` 6, `APR_SOCK` 7, `APR_UNKFILE` 127).
    pub filetype: i32,
    /// Which fields are known (none when there is no such file).
    pub valid: FinfoFields,
    /// Size in bytes.
    pub size: i64,
    /// Modification time, microseconds since the epoch.
    pub mtime: i64,
    /// Access time, microseconds since the epoch.
    pub atime: i64,
    /// Inode change time, microseconds since the epoch.
    pub ctime: i64,
    /// Unix permission bits as APR reports them.
    pub protection: i32,
    /// Owner uid.
    pub user: u32,
    /// Group gid.
    pub group: u32,
    /// Inode number.
    pub inode: u64,
    /// Device number.
    pub device: u64,
    /// Hard link count.
    pub nlink: i32,
    /// The file name as found.
    pub fname: Option<String>,
    /// The base name as found.
    pub name: Option<String>,
}

/// The type of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// Anything else (device, pipe, socket, link).
    Other,
}

fn file_info(f: &ffi::apr_finfo_t) -> FileInfo {
    let kind = match f.filetype {
        ffi::APR_NOFILE => None,
        ffi::APR_REG => Some(FileKind::File),
        ffi::APR_DIR => Some(FileKind::Directory),
        _ => Some(FileKind::Other),
    };
    FileInfo {
        kind,
        filetype: f.filetype as i32,
        valid: if f.filetype == ffi::APR_NOFILE {
            FinfoFields::NONE
        } else {
            FinfoFields::from_bits(f.valid)
        },
        size: f.size,
        mtime: f.mtime,
        atime: f.atime,
        ctime: f.ctime,
        protection: f.protection,
        user: f.user,
        group: f.group,
        inode: f.inode,
        device: f.device,
        nlink: f.nlink,
        // SAFETY: NULL or strings of the pool apr_stat was given, alive for this call.
        fname: unsafe { strings::to_owned(f.fname) },
        // SAFETY: as above.
        name: unsafe { strings::to_owned(f.name) },
    }
}

/// What the file system says of `path` (`apr_stat`), asking for the fields in `wanted`
/// ([`FinfoFields::MIN`], [`FinfoFields::NORM`], ...); `None` when there is no such file.
pub fn stat(path: &str, wanted: FinfoFields) -> Option<FileInfo> {
    if path.contains('\0') {
        return None;
    }
    let mut p = std::ptr::null_mut();
    // SAFETY: a pool of its own (parent: APR's global pool, which serializes creation across
    // threads), destroyed below after the answer is copied out of it.
    unsafe { ffi::apr_pool_create_ex(&mut p, std::ptr::null_mut(), None, std::ptr::null_mut()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: p is a valid pool until destroyed below.
    let pool = unsafe { crate::apr::Pool::from_raw(p) };
    // SAFETY: zeroed apr_finfo_t is valid (null pointers, zero numbers).
    let mut f: ffi::apr_finfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: f is written by apr_stat; the name lives in the pool.
    let rv = unsafe { ffi::apr_stat(&mut f, pool.c_str(path), wanted.bits(), p) };
    // APR_INCOMPLETE (some of `wanted` unavailable) still describes the file.
    let found = rv == 0 || rv == ffi::APR_INCOMPLETE as i32;
    let info = found.then(|| file_info(&f));
    // SAFETY: made above; nothing refers to it any more (file_info copied the strings).
    unsafe { ffi::apr_pool_destroy(p) };
    info
}

impl Request {
    /// `r->finfo`, filled by httpd when the URI maps to a file.
    pub fn finfo(&self) -> FileInfo {
        file_info(&self.raw().finfo)
    }

    /// Fills `r->finfo` anew from the file system (`apr_stat` of `path`, asking for the
    /// fields in `wanted`), as a handler that changed the file name does; when there is no
    /// such file `r->finfo` says so (`APR_NOFILE`). Returns whether it exists.
    pub fn set_finfo_from(&mut self, path: &str, wanted: FinfoFields) -> bool {
        let found = !path.contains('\0') && {
            let name = self.pool().c_str(path);
            let pool = self.pool().as_ptr();
            let f = &mut self.raw_mut().finfo;
            // SAFETY: apr_stat writes the request's own apr_finfo_t, its strings in the
            // request pool.
            let rv = unsafe { ffi::apr_stat(f, name, wanted.bits(), pool) };
            rv == 0 || rv == ffi::APR_INCOMPLETE as i32
        };
        if !found {
            self.raw_mut().finfo.filetype = ffi::APR_NOFILE;
        }
        found
    }
}
