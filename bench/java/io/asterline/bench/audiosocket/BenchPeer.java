package io.asterline.bench.audiosocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.realtime.MuLaw;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.java_websocket.WebSocket;
import org.java_websocket.framing.TextFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * The Realtime side of every benchmark call, kept lean: caller audio appends are recognised by prefix and not
 * parsed. Each call loops: a 3 s answer streamed at once (as the API does, faster than real time), the caller
 * barges in 1.2 s into it, stops talking 300 ms later, and the next answer follows 200 ms after that.
 */
final class BenchPeer extends WebSocketServer {

  private static final String APPEND = "{\"type\":\"input_audio_buffer.append\"";
  private static final byte[][] DELTAS = new byte[30][];

  static {
    // 3 s of a 440 Hz tone as 30 deltas of 100 ms
    for (int d = 0; d < DELTAS.length; d++) {
      byte[] b = new byte[800];
      for (int i = 0; i < b.length; i++) {
        int n = d * 800 + i;
        b[i] = MuLaw.encode((short) (8000 * Math.sin(2 * Math.PI * 440 * n / 8000.0) + 3000));
      }
      DELTAS[d] = Base64.getEncoder().encode(b);
    }
  }

  private static final byte[] TAIL = "\"}".getBytes(StandardCharsets.US_ASCII);

  /** A text frame of JSON around base64: ASCII, so valid UTF-8 without looking. */
  private static final class AsciiTextFrame extends TextFrame {
    @Override
    public void isValid() {
      // ASCII
    }
  }

  /** Per connection: which benchmark call it serves (from the tenant's instructions) and its turn counter. */
  private static final class Conn {
    int call = -1;
    int turn;
  }

  private final ObjectMapper json = new ObjectMapper();
  private final ScheduledExecutorService timers;
  private final IntFunction<AudioSocketBench.CallState> calls;
  final CountDownLatch started = new CountDownLatch(1);

  BenchPeer(ScheduledExecutorService timers, IntFunction<AudioSocketBench.CallState> calls) {
    super(new InetSocketAddress("127.0.0.1", 0), 2);
    this.timers = timers;
    this.calls = calls;
    setReuseAddr(true);
  }

  @Override
  public void onOpen(WebSocket ws, ClientHandshake handshake) {
    ws.setAttachment(new Conn());
    ws.send("{\"type\":\"session.created\",\"session\":{\"type\":\"realtime\"}}");
  }

  @Override
  public void onMessage(WebSocket ws, String message) {
    if (message.startsWith(APPEND)) {
      return;
    }
    Conn c = ws.getAttachment();
    try {
      JsonNode e = json.readTree(message);
      switch (e.path("type").asText()) {
        case "session.update" -> {
          String instructions = e.at("/session/instructions").asText("");
          int at = instructions.indexOf("bench call ");
          if (at >= 0) {
            c.call = Integer.parseInt(instructions.substring(at + 11).split("\\D", 2)[0]);
          }
          ws.send("{\"type\":\"session.updated\",\"session\":{\"type\":\"realtime\"}}");
        }
        case "response.create" -> answer(ws, c);
        default -> {
          // truncate, cancel: acknowledged by silence, as far as the benchmark cares
        }
      }
    } catch (Exception ex) {
      throw new IllegalStateException(ex);
    }
  }

  private void answer(WebSocket ws, Conn c) {
    if (!ws.isOpen()) {
      return;
    }
    int turn = ++c.turn;
    String response = "resp_" + turn;
    String item = "item_" + turn;
    ws.send("{\"type\":\"response.created\",\"response\":{\"id\":\"" + response + "\",\"status\":\"in_progress\"}}");
    byte[] head = ("{\"type\":\"response.output_audio.delta\",\"response_id\":\"" + response + "\",\"item_id\":\"" + item
        + "\",\"output_index\":0,\"content_index\":0,\"delta\":\"").getBytes(StandardCharsets.US_ASCII);
    for (byte[] delta : DELTAS) {
      // the same bytes ws.send(String) would put on the wire, without re-validating 1 KB of ASCII as UTF-8 per delta
      ByteBuffer json = ByteBuffer.allocate(head.length + delta.length + TAIL.length).put(head).put(delta).put(TAIL);
      TextFrame frame = new AsciiTextFrame();
      frame.setPayload(json.flip());
      ws.sendFrame(frame);
    }
    ws.send("{\"type\":\"response.done\",\"response\":{\"id\":\"" + response + "\",\"status\":\"completed\"}}");
    AudioSocketBench.CallState state = c.call >= 0 ? calls.apply(c.call) : null;
    timers.schedule(() -> {
      if (ws.isOpen()) {
        if (state != null) {
          state.bargeInSent(System.nanoTime());
        }
        ws.send("{\"type\":\"input_audio_buffer.speech_started\",\"audio_start_ms\":0,\"item_id\":\"in_" + turn + "\"}");
      }
    }, 1200, TimeUnit.MILLISECONDS);
    timers.schedule(() -> {
      if (ws.isOpen()) {
        ws.send("{\"type\":\"input_audio_buffer.speech_stopped\",\"audio_end_ms\":0,\"item_id\":\"in_" + turn + "\"}");
      }
    }, 1500, TimeUnit.MILLISECONDS);
    // server VAD with create_response answers the caller's turn by itself
    timers.schedule(() -> answer(ws, c), 1700, TimeUnit.MILLISECONDS);
  }

  @Override
  public void onClose(WebSocket ws, int code, String reason, boolean remote) {}

  @Override
  public void onError(WebSocket ws, Exception ex) {}

  @Override
  public void onStart() {
    started.countDown();
  }
}
