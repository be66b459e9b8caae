package io.asterline.realtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * A local stand-in for the Realtime API that speaks the GA events over a real WebSocket: session.created,
 * session.updated, responses streamed as mu-law audio deltas faster than real time, cancel, truncate. Tests
 * push any other server event (speech_started, function calls, errors) through {@link Session#send}.
 */
public final class FakeRealtimeServer implements AutoCloseable {

  /** How the fake answers a response.create; may be changed between calls. */
  public interface Responder {
    /** The mu-law audio of the response to this response.create (null or empty = no audio). */
    byte[] audioFor(Session session, JsonNode responseCreate);
  }

  /** One client connection as the fake saw it. */
  public final class Session {
    private final WebSocket ws;
    public final String path;
    public final String authorization;
    public final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger ids = new AtomicInteger();
    public volatile boolean closedByClient;
    private volatile boolean streaming;
    private volatile String streamingResponse;

    Session(WebSocket ws, ClientHandshake hs) {
      this.ws = ws;
      this.path = hs.getResourceDescriptor();
      this.authorization = hs.getFieldValue("Authorization");
    }

    public void send(String json) {
      if (ws.isOpen() && !stalled) {
        ws.send(json);
      }
    }

    public void send(ObjectNode event) {
      send(event.toString());
    }

    /** Sends an event even while the server is {@link #stalled}: the last words before it wedges. */
    public void push(ObjectNode event) {
      if (ws.isOpen()) {
        ws.send(event.toString());
      }
    }

    public void close(int code) {
      ws.close(code, "test closes");
    }

    /** Received client events of this type. */
    public List<JsonNode> events(String type) {
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode n : received) {
        if (type.equals(n.path("type").asText())) {
          out.add(n);
        }
      }
      return out;
    }

    /** Waits until a client event matching the predicate has arrived. */
    public JsonNode await(String type, Predicate<JsonNode> match, long millis) throws InterruptedException {
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(patience(millis));
      while (System.nanoTime() < end) {
        for (JsonNode n : received) {
          if (type.equals(n.path("type").asText()) && match.test(n)) {
            return n;
          }
        }
        Thread.sleep(5);
      }
      throw new AssertionError("no " + type + " within " + millis + " ms; got " + types());
    }

    public JsonNode await(String type, long millis) throws InterruptedException {
      return await(type, n -> true, millis);
    }

    public List<String> types() {
      List<String> t = new ArrayList<>();
      received.forEach(n -> t.add(n.path("type").asText()));
      return t;
    }

    /** All caller audio appended so far, as mu-law bytes. */
    public byte[] appendedAudio() {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      for (JsonNode n : events("input_audio_buffer.append")) {
        out.writeBytes(Base64.getDecoder().decode(n.path("audio").asText()));
      }
      return out.toByteArray();
    }

    public String nextId(String prefix) {
      return prefix + "_" + ids.incrementAndGet();
    }

    /** Streams a response as the GA API does: created, item added, audio deltas, transcript, done. */
    public void respond(byte[] mulaw, String transcript) {
      String responseId = nextId("resp");
      String itemId = nextId("item");
      streaming = true;
      streamingResponse = responseId;
      ObjectNode created = event("response.created");
      created.putObject("response").put("id", responseId).put("status", "in_progress");
      send(created);
      ObjectNode added = event("response.output_item.added");
      added.put("response_id", responseId);
      added.putObject("item").put("id", itemId).put("type", "message").put("role", "assistant");
      send(added);
      int chunk = 800;
      for (int off = 0; mulaw != null && off < mulaw.length && streaming; off += chunk) {
        byte[] part = java.util.Arrays.copyOfRange(mulaw, off, Math.min(mulaw.length, off + chunk));
        ObjectNode delta = event("response.output_audio.delta");
        delta.put("response_id", responseId).put("item_id", itemId).put("output_index", 0).put("content_index", 0)
            .put("delta", Base64.getEncoder().encodeToString(part));
        send(delta);
      }
      boolean cancelled = !streaming;
      streaming = false;
      if (!cancelled) {
        send(event("response.output_audio.done").put("response_id", responseId).put("item_id", itemId));
        send(event("response.output_audio_transcript.done").put("response_id", responseId).put("item_id", itemId)
            .put("transcript", transcript));
      }
      ObjectNode done = event("response.done");
      ObjectNode response = done.putObject("response").put("id", responseId)
          .put("status", cancelled ? "cancelled" : "completed");
      if (usage != null) {
        response.set("usage", usage.deepCopy());
      }
      send(done);
      lastItem = itemId;
      lastResponse = responseId;
    }

    public volatile String lastItem;
    public volatile String lastResponse;

    /** A function call as the model makes it, inside its own response. */
    public void callFunction(String name, String arguments) {
      String responseId = nextId("resp");
      String callId = nextId("call");
      ObjectNode created = event("response.created");
      created.putObject("response").put("id", responseId).put("status", "in_progress");
      send(created);
      send(event("response.function_call_arguments.done").put("response_id", responseId).put("item_id", nextId("item"))
          .put("call_id", callId).put("name", name).put("arguments", arguments).put("output_index", 0));
      ObjectNode done = event("response.done");
      done.putObject("response").put("id", responseId).put("status", "completed");
      send(done);
    }

    public void speechStarted() {
      send(event("input_audio_buffer.speech_started").put("audio_start_ms", 1000).put("item_id", nextId("item")));
    }

    public void speechStopped() {
      send(event("input_audio_buffer.speech_stopped").put("audio_end_ms", 2000).put("item_id", nextId("item")));
    }

    public void callerSaid(String transcript) {
      send(event("conversation.item.input_audio_transcription.completed").put("item_id", nextId("item"))
          .put("content_index", 0).put("transcript", transcript));
    }

    public void error(String type, String code, String message) {
      ObjectNode e = event("error");
      e.putObject("error").put("type", type).put("code", code).put("message", message);
      send(e);
    }

    void onEvent(JsonNode e) {
      received.add(e);
      switch (e.path("type").asText()) {
        case "session.update" -> {
          if (!silent) {
            ObjectNode updated = event("session.updated");
            updated.set("session", e.path("session"));
            send(updated);
          }
        }
        case "response.create" -> {
          byte[] audio = responder.audioFor(this, e);
          respond(audio, e.path("response").path("instructions").asText("answer"));
        }
        case "response.cancel" -> {
          if (streaming && e.path("response_id").asText("").equals(streamingResponse)) {
            streaming = false;
          } else {
            ObjectNode err = event("error");
            err.putObject("error").put("type", "invalid_request_error").put("code", "response_cancel_not_active")
                .put("message", "Cancellation failed: no active response found");
            send(err);
          }
        }
        case "conversation.item.truncate" -> send(event("conversation.item.truncated")
            .put("item_id", e.path("item_id").asText()).put("content_index", 0)
            .put("audio_end_ms", e.path("audio_end_ms").asLong()));
        default -> {
        }
      }
    }
  }

  private final ObjectMapper json = new ObjectMapper();
  private final Server server;
  public final List<Session> sessions = new CopyOnWriteArrayList<>();
  /**
   * When true, the server sends nothing at all, not even a pong: a wedged upstream whose TCP connection stays
   * open (a stopped process, a stuck load balancer). Test code can still push events with {@link Session#push}.
   */
  public volatile boolean stalled;
  /** When true, session.update is never answered: a session that never becomes ready. */
  public volatile boolean silent;
  public volatile Responder responder = (s, e) -> tone(1000);
  /** The {@code response.usage} every streamed response's response.done carries; null = none (as before). */
  public volatile ObjectNode usage;
  /** Holds each WebSocket handshake this long before answering it (a slow upstream). */
  public volatile long handshakeDelayMillis;
  /** Counts WebSocket pings received. */
  public final java.util.concurrent.atomic.AtomicInteger pings = new java.util.concurrent.atomic.AtomicInteger();
  /** Counts handshakes received, answered or not. */
  public final java.util.concurrent.atomic.AtomicInteger handshakes = new java.util.concurrent.atomic.AtomicInteger();

  public FakeRealtimeServer() throws InterruptedException {
    server = new Server();
    server.setReuseAddr(true);
    server.start();
    if (!server.started.await(10, TimeUnit.SECONDS)) {
      throw new IllegalStateException("fake Realtime server did not start");
    }
  }

  /**
   * How long a wait for something that must come really waits: at least 10 s. The call sites' figures are what a
   * quiet machine needs; on a loaded 2-core box (the whole suite beside other builds, load average 20) waits of
   * 3 s for the first session ran out. A wait only for something that must arrive never makes a test pass that
   * should fail, it only fails it later.
   */
  static long patience(long millis) {
    return Math.max(millis, 10_000);
  }

  public String url() {
    return "ws://127.0.0.1:" + server.getPort() + "/v1/realtime";
  }

  public Session awaitSession(int index, long millis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(patience(millis));
    while (sessions.size() <= index) {
      if (System.nanoTime() > end) {
        throw new AssertionError("no Realtime connection #" + index + " within " + millis + " ms");
      }
      Thread.sleep(5);
    }
    return sessions.get(index);
  }

  public ObjectNode event(String type) {
    ObjectNode n = json.createObjectNode();
    n.put("type", type);
    n.put("event_id", "evt_" + System.nanoTime());
    return n;
  }

  /** {@code millis} of a 440 Hz tone as mu-law: every sample of it is audibly non-silent in most frames. */
  public static byte[] tone(int millis) {
    byte[] b = new byte[millis * 8];
    for (int i = 0; i < b.length; i++) {
      b[i] = MuLaw.encode((short) (8000 * Math.sin(2 * Math.PI * 440 * i / 8000.0) + 3000));
    }
    return b;
  }

  @Override
  public void close() throws InterruptedException {
    server.stop(1000);
  }

  private final class Server extends WebSocketServer {
    final CountDownLatch started = new CountDownLatch(1);

    Server() {
      super(new InetSocketAddress("127.0.0.1", 0), 2);
    }

    @Override
    public org.java_websocket.handshake.ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket conn,
        org.java_websocket.drafts.Draft draft, ClientHandshake request)
        throws org.java_websocket.exceptions.InvalidDataException {
      handshakes.incrementAndGet();
      long delay = handshakeDelayMillis;
      if (delay > 0) {
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
    }

    @Override
    public void onWebsocketPing(WebSocket conn, org.java_websocket.framing.Framedata f) {
      pings.incrementAndGet();
      if (!stalled) {
        super.onWebsocketPing(conn, f);
      }
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
      Session s = new Session(conn, handshake);
      conn.setAttachment(s);
      sessions.add(s);
      ObjectNode created = event("session.created");
      created.putObject("session").put("type", "realtime").put("id", "sess_" + sessions.size());
      s.send(created);
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
      Session s = conn.getAttachment();
      if (s != null) {
        s.closedByClient = remote;
      }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
      Session s = conn.getAttachment();
      try {
        s.onEvent(json.readTree(message));
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
      // a client vanishing mid-write is part of what is tested
    }

    @Override
    public void onStart() {
      started.countDown();
    }
  }

}
