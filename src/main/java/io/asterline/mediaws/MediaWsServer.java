package io.asterline.mediaws;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agent.Agents;
import io.asterline.media.MediaServer;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket server Asterisk's WebSocket channel (chan_websocket, Asterisk 22.5+) connects to when the dialplan
 * runs {@code Dial(WebSocket/asterline/c(ulaw)...)}: websocket_client.conf's {@code [asterline]} connection points
 * here. Each connection is one call's agent leg, handed to the agent ({@link Agents}). The shared
 * {@link MediaServer} shell runs it: its allow-list is {@code mediaws.allow} (checked before the handshake), and
 * stopping it ends every call in progress through its tenant's fallback, as the AudioSocket server does.
 */
public final class MediaWsServer {

  private static final Logger log = LoggerFactory.getLogger(MediaWsServer.class);
  /** The subprotocol websocket_client.conf asks for ({@code protocols = media}); a client asking none is served too. */
  static final String SUBPROTOCOL = "media";

  private MediaWsServer() {}

  /** Binds and starts serving; the caller registers the result with the lifecycle, after {@code agents}. */
  public static MediaServer start(MediaWsConfig config, Agents agents, ObjectMapper json) {
    WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath(HandshakeGate.PATH)
        .checkStartsWith(true)
        .subprotocols(SUBPROTOCOL)
        .handleCloseFrames(true)
        .dropPongFrames(true)
        .decoderConfig(WebSocketDecoderConfig.newBuilder()
            // Asterisk writes at most 65,535-byte frames; its client frames are masked, as RFC 6455 wants
            .maxFramePayloadLength(ControlEventDecoder.MAX_TEXT)
            .expectMaskedFrames(true)
            .allowExtensions(false)
            .build())
        .build();
    return MediaServer.start(
        new MediaServer.Listen("mediaws", config.bind(), config.port(), config.ioThreads(), config.allow()), log,
        "media WebSocket server is not listening",
        b -> {},
        // the gate adds the call's handler once the request passes
        ch -> ch.pipeline()
            .addLast("http", new HttpServerCodec(4096, 8192, 8192))
            .addLast("aggregator", new HttpObjectAggregator(8192))
            .addLast("gate", new HandshakeGate(agents, config))
            .addLast("websocket", new WebSocketServerProtocolHandler(ws))
            .addLast("decoder", new ControlEventDecoder(json))
            .addLast("encoder", ControlCommandEncoder.INSTANCE));
  }
}
