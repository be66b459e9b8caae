package io.asterline.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.TextFrame;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One WebSocket to the Realtime API (GA protocol: no {@code OpenAI-Beta} header). Java-WebSocket runs a
 * reader and a writer thread per connection; the listener is called on the reader thread and must hand
 * work over to its own thread quickly. {@link #send} never blocks: frames queue for the writer thread.
 */
public final class RealtimeClient {

  private static final Logger log = LoggerFactory.getLogger(RealtimeClient.class);
  private static final Pattern KEY = Pattern.compile("sk-[A-Za-z0-9_*.-]+");

  /** What the connection reports. Called on the WebSocket's reader thread. */
  public interface Listener {
    void opened();

    void event(RealtimeEvent event);

    /** The connection is gone (or never came up); called once. */
    void closed(String why);
  }

  private final Ws ws;

  private RealtimeClient(Ws ws) {
    this.ws = ws;
  }

  /**
   * Starts connecting to {@code url?model=model} and returns at once; {@link Listener#opened} or
   * {@link Listener#closed} follows.
   */
  public static RealtimeClient connect(URI url, String model, String apiKey, int connectTimeoutMillis,
      ObjectMapper json, String callId, Listener listener) {
    String sep = url.getRawQuery() == null ? "?" : "&";
    URI full = URI.create(url + sep + "model=" + java.net.URLEncoder.encode(model, java.nio.charset.StandardCharsets.UTF_8));
    Ws ws = new Ws(full, Map.of("Authorization", "Bearer " + apiKey), connectTimeoutMillis, json, callId, listener);
    // the library would start a ping timer thread per connection; caller audio flows every few tens of ms anyway
    ws.setConnectionLostTimeout(0);
    ws.connect();
    return new RealtimeClient(ws);
  }

  /** Queues a client event; false when the connection is not open. */
  public boolean send(String event) {
    try {
      ws.send(event);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  /**
   * {@code input_audio_buffer.append} of mu-law bytes: the hot path (dozens per call per second), so the JSON is
   * assembled as ASCII bytes and sent as a text frame without the library's UTF-8 re-validation.
   */
  public boolean appendAudio(byte[] mulaw, int offset, int length) {
    byte[] slice = offset == 0 && length == mulaw.length ? mulaw : java.util.Arrays.copyOfRange(mulaw, offset, offset + length);
    byte[] b64 = Base64.getEncoder().encode(slice);
    byte[] json = new byte[APPEND_HEAD.length + b64.length + APPEND_TAIL.length];
    System.arraycopy(APPEND_HEAD, 0, json, 0, APPEND_HEAD.length);
    System.arraycopy(b64, 0, json, APPEND_HEAD.length, b64.length);
    System.arraycopy(APPEND_TAIL, 0, json, APPEND_HEAD.length + b64.length, APPEND_TAIL.length);
    TextFrame frame = new AsciiTextFrame();
    frame.setPayload(java.nio.ByteBuffer.wrap(json));
    frame.setTransferemasked(true);
    try {
      ws.sendFrame(frame);
      return true;
    } catch (WebsocketNotConnectedException e) {
      return false;
    }
  }

  private static final byte[] APPEND_HEAD = "{\"type\":\"input_audio_buffer.append\",\"audio\":\""
      .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private static final byte[] APPEND_TAIL = "\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** A text frame known to be ASCII (JSON around base64): nothing to validate. */
  private static final class AsciiTextFrame extends TextFrame {
    @Override
    public void isValid() {
      // ASCII is valid UTF-8
    }
  }

  public boolean isOpen() {
    return ws.isOpen();
  }

  /**
   * Closes normally; the listener's {@code closed} follows (and is to be ignored by a caller that asked). Also
   * when the handshake is still running: the library would otherwise open the session afterwards and keep it
   * (and its threads, and a billed OpenAI session) alive.
   */
  public void close() {
    ws.closeRequested = true;
    ws.close(1000, "call ended");
  }

  /** Removes anything that looks like an OpenAI key from text that came from the other side. */
  public static String redact(String text) {
    return text == null ? null : KEY.matcher(text).replaceAll("sk-***");
  }

  private static final class Ws extends WebSocketClient {
    private final ObjectMapper json;
    private final Listener listener;
    private final String callId;
    private volatile boolean closedReported;
    volatile boolean closeRequested;

    Ws(URI uri, Map<String, String> headers, int connectTimeout, ObjectMapper json, String callId, Listener listener) {
      super(uri, new org.java_websocket.drafts.Draft_6455(), headers, connectTimeout);
      this.json = json;
      this.callId = callId;
      this.listener = listener;
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
      // the library's reader thread serves this one connection for its whole life: name it and tag its logs
      Thread.currentThread().setName("realtime-read-" + callId);
      MDC.put("callId", callId);
      if (closeRequested) {
        close(1000, "call ended");
        return;
      }
      listener.opened();
    }

    @Override
    public void onMessage(String message) {
      long now = System.nanoTime();
      RealtimeEvent event;
      try {
        JsonNode node = json.readTree(message);
        String type = node.path("type").asText("");
        byte[] audio = null;
        if ("response.output_audio.delta".equals(type)) {
          audio = Base64.getDecoder().decode(node.path("delta").asText(""));
          ((com.fasterxml.jackson.databind.node.ObjectNode) node).remove("delta");
        }
        event = new RealtimeEvent(type, node, audio, now);
      } catch (IOException | IllegalArgumentException | ClassCastException e) {
        log.warn("realtime: ignoring an event that is not valid JSON: {}", e.getMessage());
        return;
      }
      listener.event(event);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
      report("closed (" + code + (reason == null || reason.isEmpty() ? "" : " " + redact(reason)) + ")");
    }

    @Override
    public void onError(Exception ex) {
      report("failed: " + redact(String.valueOf(ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage())));
    }

    private void report(String why) {
      MDC.put("callId", callId);
      if (!closedReported) {
        closedReported = true;
        listener.closed(why);
      }
    }
  }
}
