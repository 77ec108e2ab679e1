//! A big-endian reader over a byte slice; every read is bounds-checked and returns [`Bad`] on a
//! short buffer, never panics.
//!
//! `origin` is the displacement of `buf[0]` in ROOT's object-reference numbering (the key length
//! for an object read from a key): references inside a streamed object count from the key start.

use super::error::{Bad, bad};

#[derive(Clone)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
    origin: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Cursor<'a> {
        Cursor {
            buf,
            pos: 0,
            origin: 0,
        }
    }

    pub fn with_origin(buf: &'a [u8], origin: usize) -> Cursor<'a> {
        Cursor {
            buf,
            pos: 0,
            origin,
        }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Position in ROOT's reference numbering (see module docs).
    pub fn displacement(&self) -> usize {
        self.pos + self.origin
    }

    /// Moves to an absolute position inside the buffer (may be the end).
    pub fn seek(&mut self, pos: usize) -> Result<(), Bad> {
        if pos > self.buf.len() {
            return bad!(
                "position {pos} is beyond the end of a {}-byte buffer",
                self.buf.len()
            );
        }
        self.pos = pos;
        Ok(())
    }

    pub fn skip(&mut self, n: usize) -> Result<(), Bad> {
        self.bytes(n).map(|_| ())
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        if n > self.remaining() {
            return bad!(
                "need {n} bytes at offset {} but the {}-byte buffer has only {} left",
                self.pos,
                self.buf.len(),
                self.remaining()
            );
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    pub fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16, Bad> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    pub fn i16(&mut self) -> Result<i16, Bad> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32, Bad> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> Result<i32, Bad> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64, Bad> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, Bad> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A ROOT `TString`/name: one length byte, or 255 then a 4-byte length, then the bytes.
    pub fn string(&mut self) -> Result<String, Bad> {
        let b = self.string_bytes()?;
        Ok(String::from_utf8_lossy(b).into_owned())
    }

    pub fn string_bytes(&mut self) -> Result<&'a [u8], Bad> {
        let short = self.u8()?;
        let n = if short == 255 {
            self.u32()? as usize
        } else {
            short as usize
        };
        self.bytes(n)
    }

    /// A NUL-terminated C string (class names after a new-class tag).
    pub fn cstring(&mut self) -> Result<String, Bad> {
        let rest = &self.buf[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            return bad!("class name at offset {} has no terminating NUL", self.pos);
        };
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_big_endian_and_bounds_checked() {
        let data = [0u8, 1, 2, 3, 4, 0xff];
        let mut c = Cursor::new(&data);
        assert_eq!(c.u16().unwrap(), 1);
        assert_eq!(c.u32().unwrap(), 0x0203_04ff);
        assert!(c.u8().is_err());
        let mut c = Cursor::new(&[3, b'a', b'b']);
        assert!(c.string().is_err(), "length 3 with only 2 bytes must fail");
        let mut c = Cursor::new(&[2, b'a', b'b', b'x', 0]);
        assert_eq!(c.string().unwrap(), "ab");
        assert_eq!(c.cstring().unwrap(), "x");
    }
}
