pub mod child_exit;
pub mod dispatch;
pub mod gil;
pub mod interpreters;
pub mod rawbytes;
