//! Proves nothing of the host leaks in: prints how many environment variables the program sees, its arguments, and whether it can open TCP and UDP sockets.

fn main() {
    println!("ENV {}", std::env::vars_os().count());
    let args: Vec<String> = std::env::args().collect();
    println!("ARGS {}", serde_json::to_string(&args).expect("strings serialize"));
    let tcp = std::net::TcpStream::connect("127.0.0.1:9").is_ok();
    println!("TCP {}", if tcp { "allowed" } else { "denied" });
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").is_ok();
    println!("UDP {}", if udp { "allowed" } else { "denied" });
}
