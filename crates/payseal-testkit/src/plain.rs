//! A plain MQTT 3.1.1 publisher (no payseal), written with raw packets: what an unprotected
//! device, or anyone with broker access, would send.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::mqtt::Publish;

/// Connects to the broker on `port` as `client_id`, publishes `payload` on `topic` at QoS 0
/// and disconnects.
///
/// # Errors
/// If the broker cannot be reached or refuses the connection.
pub async fn publish(port: u16, client_id: &str, topic: &str, payload: &[u8]) -> io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.write_all(&connect_packet(client_id)?).await?;
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).await?;
    if connack[0] != 0x20 || connack[3] != 0 {
        return Err(io::Error::other(format!(
            "connection refused: {connack:02x?}"
        )));
    }
    let publish = Publish {
        dup: false,
        qos: 0,
        retain: false,
        topic: topic.to_string(),
        pkid: None,
        payload: payload.to_vec(),
    };
    stream.write_all(&publish.frame().0).await?;
    stream.write_all(&[0xe0, 0x00]).await?;
    stream.flush().await
}

/// CONNECT (MQTT 3.1.1 §3.1): protocol "MQTT" level 4, clean session, keep alive 30 s.
fn connect_packet(client_id: &str) -> io::Result<Vec<u8>> {
    let id_len = u16::try_from(client_id.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "client id too long"))?;
    let mut body = vec![0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x1e];
    body.extend_from_slice(&id_len.to_be_bytes());
    body.extend_from_slice(client_id.as_bytes());
    let len = u8::try_from(body.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "client id too long"))?;
    if len > 127 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "client id too long",
        ));
    }
    let mut packet = vec![0x10, len];
    packet.extend_from_slice(&body);
    Ok(packet)
}
