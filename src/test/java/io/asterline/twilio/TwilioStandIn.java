package io.asterline.twilio;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Twilio as Asterline meets it, on 127.0.0.1, for tests: the REST API's Calls resource (HTTP Basic auth, form
 * bodies, Twilio's JSON and error envelopes, injectable outages), and the webhooks Twilio sends (form POSTs signed
 * with the account's auth token in {@code X-Twilio-Signature}, status callbacks in Twilio's order). The Media
 * Streams side lives in its own class.
 */
public final class TwilioStandIn implements AutoCloseable {

  public static final String ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
  public static final String AUTH_TOKEN = "standin-auth-token-0123456789abcdef";
  private static final String CALLS = "/2010-04-01/Accounts/" + ACCOUNT_SID + "/Calls";
  private static final Pattern CALL_PATH = Pattern.compile(Pattern.quote(CALLS) + "/(CA[0-9a-f]{32})\\.json");
  private static final Pattern E164 = Pattern.compile("\\+[1-9][0-9]{6,14}");
  private static final DateTimeFormatter RFC_1123 = DateTimeFormatter.RFC_1123_DATE_TIME;

  /** One call Twilio holds: what created it and what happened to it since. */
  public static final class Call {
    public final String sid;
    public final String to;
    public final String from;
    public final String direction;
    /** The create request's form (outbound calls), empty for calls the test makes arrive (inbound). */
    public final TwilioForm created;
    public volatile String status;
    /** Every update request's form, in order. */
    public final List<TwilioForm> updates = new CopyOnWriteArrayList<>();
    final AtomicInteger sequence = new AtomicInteger();

    Call(String sid, String to, String from, String direction, TwilioForm created, String status) {
      this.sid = sid;
      this.to = to;
      this.from = from;
      this.direction = direction;
      this.created = created;
      this.status = status;
    }

    /** The TwiML of the newest update that carried some, if any. */
    public Optional<String> lastTwiml() {
      for (int i = updates.size() - 1; i >= 0; i--) {
        Optional<String> t = updates.get(i).first("Twiml");
        if (t.isPresent()) {
          return t;
        }
      }
      return Optional.empty();
    }
  }

  /** One REST request as it arrived. */
  public record Request(String method, String path, TwilioForm form, boolean authorized) {}

  /** A webhook's answer. */
  public record Answer(int status, String body, String contentType) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final HttpClient webhooks = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();
  private final SecureRandom random = new SecureRandom();
  private final String expectedAuthorization = "Basic " + Base64.getEncoder()
      .encodeToString((ACCOUNT_SID + ":" + AUTH_TOKEN).getBytes(StandardCharsets.UTF_8));
  private final Map<String, Call> calls = new ConcurrentHashMap<>();
  public final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<Consumer<Call>> onCreate = new CopyOnWriteArrayList<>();
  private final List<BiConsumer<Call, TwilioForm>> onUpdate = new CopyOnWriteArrayList<>();
  /** Answers to give the next REST requests instead of serving them: status, Twilio code, message. */
  private final List<int[]> failures = new CopyOnWriteArrayList<>();
  private volatile boolean down;

  public TwilioStandIn() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::serve);
    server.setExecutor(executor);
    server.start();
  }

  /** What {@code twilio.api-base-url} is set to. */
  public URI apiBase() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The settings that point Asterline at this stand-in (webhooks reach {@code webhookBase}). */
  public Map<String, String> settings(URI webhookBase) {
    return Map.of("twilio.api-base-url", apiBase().toString(), "twilio.account-sid", ACCOUNT_SID,
        "twilio.auth-token", AUTH_TOKEN, "twilio.webhook-base-url", webhookBase.toString(),
        "twilio.retry-backoff", "10ms", "twilio.timeout", "5s");
  }

  public void onCreate(Consumer<Call> listener) {
    onCreate.add(listener);
  }

  public void onUpdate(BiConsumer<Call, TwilioForm> listener) {
    onUpdate.add(listener);
  }

  /** The next {@code times} REST requests fail with HTTP {@code status} (e.g. 503), Twilio's error envelope. */
  public void failNext(int times, int status, int code, String message) {
    for (int i = 0; i < times; i++) {
      failures.add(new int[] {status, code, message.hashCode()});
    }
    messages.put(message.hashCode(), message);
  }

  private final Map<Integer, String> messages = new ConcurrentHashMap<>();

  /** While down, every REST connection is cut without an answer (Twilio unreachable). */
  public void down(boolean down) {
    this.down = down;
  }

  public Optional<Call> call(String sid) {
    return Optional.ofNullable(calls.get(sid));
  }

  public List<Call> calls() {
    return List.copyOf(calls.values());
  }

  /** A call arriving at one of the account's numbers: the test then sends its voice webhook. */
  public Call inboundCall(String from, String to) {
    Call call = new Call(newSid(), to, from, "inbound", TwilioForm.create(), "ringing");
    calls.put(call.sid, call);
    return call;
  }

  /** The voice webhook Twilio sends when {@code call} arrives, signed, to {@code url}. */
  public Answer voiceWebhook(Call call, URI url) {
    return webhook(url, callParams(call).add("CallStatus", call.status));
  }

  /** The form Twilio sends about a call in every webhook. */
  public TwilioForm callParams(Call call) {
    return TwilioForm.create()
        .add("AccountSid", ACCOUNT_SID)
        .add("ApiVersion", "2010-04-01")
        .add("CallSid", call.sid)
        .add("Called", call.to)
        .add("Caller", call.from)
        .add("Direction", call.direction)
        .add("From", call.from)
        .add("To", call.to);
  }

  /** Sends a signed webhook as Twilio does. */
  public Answer webhook(URI url, TwilioForm params) {
    return post(url, params, TwilioSignature.sign(AUTH_TOKEN, url.toString(), params.asMap()));
  }

  /** Sends a webhook with the given signature header (null: none), as a forger would. */
  public Answer post(URI url, TwilioForm params, String signature) {
    HttpRequest.Builder b = HttpRequest.newBuilder(url)
        .timeout(Duration.ofSeconds(15))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("User-Agent", "TwilioProxy/1.1")
        .header("I-Twilio-Idempotency-Token", java.util.UUID.randomUUID().toString())
        .POST(HttpRequest.BodyPublishers.ofString(params.encode(), StandardCharsets.UTF_8));
    if (signature != null) {
      b.header(TwilioSignature.HEADER, signature);
    }
    try {
      HttpResponse<String> r = webhooks.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    } catch (IOException e) {
      throw new IllegalStateException("webhook " + url + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Moves an outbound call through {@code statuses} (Twilio's CallStatus values: initiated, ringing, in-progress,
   * then one of completed, busy, no-answer, canceled, failed) and sends the status callbacks its create asked for
   * (StatusCallbackEvent: initiated, ringing, answered, completed; a terminal status is the completed event), in
   * order, each signed. Extra parameters (e.g. AnsweredBy, CallDuration) come from {@code extra}. Answers the
   * webhook answers.
   */
  public List<Answer> progress(Call call, Map<String, String> extra, String... statuses) {
    List<Answer> answers = new ArrayList<>();
    Optional<String> url = call.created.first("StatusCallback");
    List<String> events = new ArrayList<>();
    call.created.asMap().getOrDefault("StatusCallbackEvent", List.of()).forEach(v -> events.addAll(
        List.of(v.trim().split("\\s+"))));
    if (events.isEmpty()) {
      events.add("completed");
    }
    for (String status : statuses) {
      call.status = status;
      String event = switch (status) {
        case "initiated" -> "initiated";
        case "ringing" -> "ringing";
        case "in-progress" -> "answered";
        default -> "completed";
      };
      if (url.isEmpty() || !events.contains(event)) {
        continue;
      }
      TwilioForm form = callParams(call)
          .add("CallStatus", status)
          .add("CallbackSource", "call-progress-events")
          .add("SequenceNumber", call.sequence.getAndIncrement())
          .add("Timestamp", RFC_1123.format(ZonedDateTime.now(ZoneOffset.UTC)));
      extra.forEach(form::add);
      answers.add(webhook(URI.create(url.get()), form));
    }
    return answers;
  }

  // ------------------------------------------------------------------ recordings (voicemail <Record>)

  private final Map<String, byte[]> recordingMedia = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicBoolean recordingsServed = new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * A recording Twilio made of a call (a {@code <Record>}): answers its {@code RecordingUrl} as Twilio sends it in
   * the Record's action (no extension); {@code RecordingUrl + ".wav"} then serves {@code wav}, with Basic auth, as
   * Twilio's Recordings resource does.
   */
  public String recording(byte[] wav) {
    String base = "/2010-04-01/Accounts/" + ACCOUNT_SID + "/Recordings";
    if (recordingsServed.compareAndSet(false, true)) {
      server.createContext(base + "/", this::serveRecording);
    }
    byte[] b = new byte[16];
    random.nextBytes(b);
    String sid = "RE" + HexFormat.of().formatHex(b);
    recordingMedia.put(sid, wav);
    return apiBase() + base + "/" + sid;
  }

  private void serveRecording(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean authorized = expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"));
      requests.add(new Request(exchange.getRequestMethod(), path, TwilioForm.create(), authorized));
      if (down) {
        exchange.close();
        return;
      }
      if (!authorized) {
        error(exchange, 401, 20003, "Authenticate");
        return;
      }
      Matcher m = Pattern.compile(".*/Recordings/(RE[0-9a-f]{32})\\.wav").matcher(path);
      byte[] wav = m.matches() ? recordingMedia.get(m.group(1)) : null;
      if (wav == null) {
        error(exchange, 404, 20404, "The requested resource " + path + " was not found");
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "audio/x-wav");
      exchange.sendResponseHeaders(200, wav.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(wav);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  // ------------------------------------------------------------------ REST

  private void serve(HttpExchange exchange) throws IOException {
    try (exchange) {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String path = exchange.getRequestURI().getPath();
      boolean authorized = expectedAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"));
      TwilioForm form;
      try {
        form = TwilioForm.parse(body);
      } catch (IllegalArgumentException e) {
        form = TwilioForm.create();
      }
      requests.add(new Request(exchange.getRequestMethod(), path, form, authorized));
      if (down) {
        exchange.close(); // no answer: the connection is cut
        return;
      }
      if (!authorized) {
        error(exchange, 401, 20003, "Authenticate");
        return;
      }
      if (!failures.isEmpty()) {
        int[] f = failures.remove(0);
        error(exchange, f[0], f[1], messages.getOrDefault(f[2], "failure"));
        return;
      }
      if (path.equals(CALLS + ".json") && exchange.getRequestMethod().equals("POST")) {
        create(exchange, form);
        return;
      }
      Matcher m = CALL_PATH.matcher(path);
      if (m.matches()) {
        Call call = calls.get(m.group(1));
        if (call == null) {
          error(exchange, 404, 20404, "The requested resource " + path + " was not found");
        } else if (exchange.getRequestMethod().equals("POST")) {
          update(exchange, call, form);
        } else {
          send(exchange, 200, resource(call));
        }
        return;
      }
      error(exchange, 404, 20404, "The requested resource " + path + " was not found");
    }
  }

  private void create(HttpExchange exchange, TwilioForm form) throws IOException {
    Optional<String> to = form.first("To");
    Optional<String> from = form.first("From");
    if (to.isEmpty()) {
      error(exchange, 400, 21201, "No 'To' number is specified");
      return;
    }
    if (from.isEmpty()) {
      error(exchange, 400, 21603, "A 'From' phone number is required.");
      return;
    }
    if (!E164.matcher(to.get()).matches()) {
      error(exchange, 400, 21211, "Invalid 'To' Phone Number: " + to.get());
      return;
    }
    if (form.first("Url").isEmpty() && form.first("Twiml").isEmpty() && form.first("ApplicationSid").isEmpty()) {
      error(exchange, 400, 21205, "Url parameter is required.");
      return;
    }
    Call call = new Call(newSid(), to.get(), from.get(), "outbound-api", form, "queued");
    calls.put(call.sid, call);
    send(exchange, 201, resource(call));
    onCreate.forEach(l -> executor.execute(() -> l.accept(call)));
  }

  private void update(HttpExchange exchange, Call call, TwilioForm form) throws IOException {
    boolean live = call.status.equals("in-progress") || call.status.equals("ringing")
        || call.status.equals("queued") || call.status.equals("initiated");
    if (!live) {
      error(exchange, 400, 21220, "Call is not in-progress. Cannot redirect.");
      return;
    }
    call.updates.add(form);
    if (form.first("Status").map(s -> s.equals("completed") || s.equals("canceled")).orElse(false)) {
      call.status = form.first("Status").get();
    }
    send(exchange, 200, resource(call));
    onUpdate.forEach(l -> executor.execute(() -> l.accept(call, form)));
  }

  private byte[] resource(Call call) {
    ObjectNode n = json.createObjectNode()
        .put("sid", call.sid)
        .put("account_sid", ACCOUNT_SID)
        .put("to", call.to)
        .put("from", call.from)
        .put("status", call.status)
        .put("direction", call.direction)
        .put("api_version", "2010-04-01")
        .put("date_created", RFC_1123.format(ZonedDateTime.now(ZoneOffset.UTC)))
        .put("uri", CALLS + "/" + call.sid + ".json");
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  private void error(HttpExchange exchange, int status, int code, String message) throws IOException {
    ObjectNode n = json.createObjectNode()
        .put("code", code)
        .put("message", message)
        .put("more_info", "https://www.twilio.com/docs/errors/" + code)
        .put("status", status);
    send(exchange, status, n.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private String newSid() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return "CA" + HexFormat.of().formatHex(b);
  }
}
