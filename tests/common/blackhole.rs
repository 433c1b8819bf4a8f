//! A loopback address whose connections hang, as a server behind a firewall that drops the
//! packets (included by path in the test binaries that use it).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// A listener whose queue of connections nobody accepts is full, and the connections that
/// fill it: past it, the kernel drops the next SYN, and a connect to `addr` hangs until its
/// timeout. Both are kept alive while the returned value lives.
pub struct BlackHole {
    /// Where connects hang.
    pub addr: SocketAddr,
    _listener: TcpListener,
    _held: Vec<TcpStream>,
}

impl BlackHole {
    /// Binds a listener on 127.0.0.1 and fills its queue. Each filling connect may take 1 s:
    /// a loopback connect takes far less, even on a loaded machine, so only a full queue ends
    /// the filling.
    pub fn new() -> BlackHole {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut held = Vec::new();
        while let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            held.push(stream);
            assert!(held.len() < 10_000, "the queue never filled");
        }
        BlackHole {
            addr,
            _listener: listener,
            _held: held,
        }
    }
}
