package io.asterline.twiliomedia;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agent.Agents;
import io.asterline.agi.Cidr;
import io.asterline.media.MediaServer;
import io.asterline.feature.MediaFeature;
import io.asterline.http.HealthCheck;
import io.asterline.twilio.StreamControl;
import io.asterline.twilio.TwilioConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Twilio Media Streams as a media transport beside AudioSocket and Asterisk's WebSocket channel: the WebSocket
 * server a Twilio call's {@code <Connect><Stream url="twilio.stream-url">} reaches (on {@code twilio.media.bind}:
 * {@code twilio.media.port}, path {@code /twilio/stream}, behind the TLS proxy that serves the public wss URL),
 * each stream one call's agent leg handed to the same agent as the others. Twilio connects from addresses it does
 * not fix, so the gate is its signature, not an address list. Started only when Twilio calls can run
 * ({@link TwilioConfig#enabled()}).
 */
public final class TwilioMedia implements MediaFeature {

  private static final Logger log = LoggerFactory.getLogger(TwilioMedia.class);
  /** How long a stream we close waits for Twilio's answering close frame before the socket is closed anyway. */
  static final long FORCE_CLOSE_MILLIS = 1000;

  /** What every stream handler of this server shares. */
  record Deps(String accountSid, String authToken, String streamUrl, StreamCalls calls, ExecutorService db,
      ExecutorService recordingWriter, Path recordingsDir, StreamControl control) {

    @Override
    public String toString() {
      return "Deps[accountSid=" + accountSid + ", streamUrl=" + streamUrl + ", recordingsDir=" + recordingsDir + "]";
    }
  }

  private final MediaServer server;
  private final String dialAddress;
  private final Deps deps;

  private TwilioMedia(MediaServer server, String dialAddress, Deps deps) {
    this.server = server;
    this.dialAddress = dialAddress;
    this.deps = deps;
  }

  /** The public stream URL the TwiML names (Twilio dials it; Asterisk never does). */
  @Override
  public String dialAddress() {
    return dialAddress;
  }

  public int port() {
    return server.port();
  }

  @Override
  public int activeCalls() {
    return server.activeCalls();
  }

  @Override
  public String name() {
    return server.name();
  }

  /** Critical, as the other transports: with Twilio calls configured, none reaches the agent without it. */
  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(server.health());
  }

  /**
   * Binds and starts serving ({@code config} must be {@link TwilioConfig#enabled()}); {@code control} carries a
   * call on once its agent is done and hears of each stream's end. The caller registers it with the lifecycle,
   * after {@code agents}.
   */
  public static TwilioMedia start(TwilioConfig config, Agents agents, DSLContext dsl, Path recordingsDir,
      StreamControl control, ObjectMapper json) {
    return start(config, 0, agents, dsl, recordingsDir, control, json);
  }

  /** The same with {@code ioThreads} event loops (0: one per core). */
  public static TwilioMedia start(TwilioConfig config, int ioThreads, Agents agents, DSLContext dsl,
      Path recordingsDir, StreamControl control, ObjectMapper json) {
    String streamUrl = config.streamUrl().orElseThrow(() -> new IllegalStateException(
        "twilio.stream-url (or twilio.webhook-base-url) must be set to serve Media Streams")).toString();
    ExecutorService db = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory("twilio-media-db", true));
    ExecutorService writer = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
        new DefaultThreadFactory("twilio-recording", true));
    Deps deps = new Deps(config.account().accountSid().orElseThrow(), config.authToken(), streamUrl,
        new StreamCalls(dsl), db, writer, recordingsDir.toAbsolutePath().normalize(), control);
    InetAddress bind;
    try {
      bind = InetAddress.getByName(config.mediaBind());
    } catch (UnknownHostException e) {
      throw new IllegalStateException("twilio.media.bind is not an address: " + config.mediaBind(), e);
    }
    WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
        .websocketPath(SignatureGate.PATH)
        .checkStartsWith(false)
        .handleCloseFrames(true)
        .forceCloseTimeoutMillis(FORCE_CLOSE_MILLIS)
        .dropPongFrames(true)
        .decoderConfig(WebSocketDecoderConfig.newBuilder()
            .maxFramePayloadLength(StreamEventDecoder.MAX_TEXT)
            .expectMaskedFrames(true)
            .allowExtensions(false)
            .build())
        .build();
    // Twilio connects from its own, changing addresses (through the TLS proxy): the signature is the gate
    List<Cidr> anyone = List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"));
    MediaServer server;
    try {
      server = MediaServer.start(new MediaServer.Listen("twilio-media", bind, config.mediaPort(), ioThreads, anyone),
          log, "Twilio Media Streams server is not listening", b -> {},
          ch -> ch.pipeline()
              .addLast("http", new HttpServerCodec(4096, 8192, 8192))
              .addLast("aggregator", new HttpObjectAggregator(8192))
              .addLast("gate", new SignatureGate(agents, deps))
              .addLast("websocket", new WebSocketServerProtocolHandler(ws))
              .addLast("decoder", new StreamEventDecoder(json))
              .addLast("encoder", StreamCommandEncoder.INSTANCE));
    } catch (RuntimeException e) {
      db.shutdownNow();
      writer.shutdownNow();
      throw e;
    }
    log.info("Twilio Media Streams: {} reaches this node's port {}", streamUrl, server.port());
    return new TwilioMedia(server, streamUrl, deps);
  }

  /** Ends the streams still connected through their fallback, then lets the last recordings finish writing. */
  @Override
  public void close() {
    server.close();
    deps.db().shutdown();
    deps.recordingWriter().shutdown();
    try {
      if (!deps.recordingWriter().awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("twilio-media: recordings still being written at the stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
