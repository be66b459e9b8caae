package io.asterline.twilio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Twilio's Calls resource (REST API 2010-04-01): create a call, update one (new TwiML, or end it), fetch one. Form
 * bodies with HTTP Basic auth (the account SID and auth token, or an API key pair). Every method is asynchronous:
 * callers on an event loop chain on the answer and never block. Failures come as {@link Refused} (Twilio answered
 * no: 4xx but 429, with Twilio's error code) or {@link Unavailable} (no answer, a timeout, 429 or 5xx: another
 * attempt, or the other provider, may work). Messages never carry a credential.
 */
public final class TwilioRest implements AutoCloseable {

  /** A call as Twilio's JSON describes it (the fields Asterline reads). */
  public record CallResource(String sid, String status, String to, String from, String direction) {}

  /** Twilio refused the request: {@code code} is Twilio's error code (e.g. 21211 invalid To), 0 when none came. */
  public static final class Refused extends RuntimeException {
    private final int httpStatus;
    private final int code;

    public Refused(int httpStatus, int code, String message) {
      super(message);
      this.httpStatus = httpStatus;
      this.code = code;
    }

    public int httpStatus() {
      return httpStatus;
    }

    public int code() {
      return code;
    }
  }

  /** Twilio could not be reached or is failing (network, timeout, 429, 5xx). */
  public static final class Unavailable extends RuntimeException {
    public Unavailable(String message) {
      super(message);
    }
  }

  private final URI base;
  private final String accountSid;
  private final String authorization;
  private final Duration timeout;
  private final ObjectMapper json;
  private final ExecutorService executor;
  private final HttpClient http;

  public TwilioRest(TwilioAccount account, ObjectMapper json) {
    this.accountSid = account.accountSid().orElseThrow(() -> new ConfigException(
        "twilio.account-sid: required for Twilio calls (set TWILIO_ACCOUNT_SID)"));
    String user;
    String secret;
    if (account.apiKeySid().isPresent()) {
      user = account.apiKeySid().get();
      secret = account.apiKeySecret().orElseThrow();
    } else {
      user = accountSid;
      secret = account.authToken().orElseThrow(() -> new ConfigException(
          "twilio.auth-token: required for Twilio calls (set TWILIO_AUTH_TOKEN)"));
    }
    this.authorization = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    this.base = URI.create(account.apiBaseUrl().toString().replaceAll("/+$", ""));
    this.timeout = account.timeout();
    this.json = json;
    AtomicInteger threads = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "twilio-rest-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder()
        .executor(executor)
        .connectTimeout(timeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  public String accountSid() {
    return accountSid;
  }

  /** {@code POST /2010-04-01/Accounts/{sid}/Calls.json}: places a call (To, From, Twiml or Url, StatusCallback...). */
  public CompletableFuture<CallResource> createCall(TwilioForm form) {
    return post("/2010-04-01/Accounts/" + accountSid + "/Calls.json", form);
  }

  /** {@code POST .../Calls/{CallSid}.json}: new TwiML for a live call ({@code Twiml}), or {@code Status=completed}. */
  public CompletableFuture<CallResource> updateCall(String callSid, TwilioForm form) {
    return post("/2010-04-01/Accounts/" + accountSid + "/Calls/" + checkSid(callSid) + ".json", form);
  }

  /** {@code GET .../Calls/{CallSid}.json}. */
  public CompletableFuture<CallResource> fetchCall(String callSid) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/2010-04-01/Accounts/" + accountSid + "/Calls/"
            + checkSid(callSid) + ".json"))
        .timeout(timeout)
        .header("Authorization", authorization)
        .header("Accept", "application/json")
        .GET().build();
    return send(request);
  }

  /**
   * Downloads a resource of this account (e.g. a recording's media, {@code RecordingUrl + ".wav"}) with the
   * account's credentials; only under the API base, so the credentials never go to another host.
   */
  public CompletableFuture<byte[]> download(String url) {
    String s = url.startsWith("/") ? base + url : url;
    if (!s.startsWith(base + "/")) {
      return CompletableFuture.failedFuture(new Refused(0, 0, "not under the Twilio API base: " + url));
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create(s))
        .timeout(timeout.multipliedBy(4))
        .header("Authorization", authorization)
        .GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .handle((response, failure) -> {
          if (failure != null) {
            throw new CompletionException(unavailable("GET " + URI.create(s).getPath(), failure));
          }
          if (response.statusCode() == 200) {
            return response.body();
          }
          throw new CompletionException(refusal("GET " + URI.create(s).getPath(), response.statusCode(),
              new String(response.body(), StandardCharsets.UTF_8)));
        });
  }

  private CompletableFuture<CallResource> post(String path, TwilioForm form) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(timeout)
        .header("Authorization", authorization)
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString(form.encode(), StandardCharsets.UTF_8))
        .build();
    return send(request);
  }

  private CompletableFuture<CallResource> send(HttpRequest request) {
    String what = request.method() + " " + request.uri().getPath();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8))
        .handle((response, failure) -> {
          if (failure != null) {
            throw new CompletionException(unavailable(what, failure));
          }
          int status = response.statusCode();
          if (status == 200 || status == 201) {
            return parseCall(what, response.body());
          }
          throw new CompletionException(refusal(what, status, response.body()));
        });
  }

  private RuntimeException refusal(String what, int status, String body) {
    int code = 0;
    String message = "";
    try {
      JsonNode error = json.readTree(body);
      code = error.path("code").asInt(0);
      message = error.path("message").asText("");
    } catch (IOException | RuntimeException e) {
      // not Twilio's JSON: the status says enough
    }
    String text = "Twilio answered HTTP " + status + (code == 0 ? "" : " (error " + code + ")")
        + (message.isEmpty() ? "" : ": " + message) + " to " + what;
    if (status == 401 || status == 403) {
      return new Refused(status, code, text + "; check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN");
    }
    if (status == 429 || status >= 500) {
      return new Unavailable(text);
    }
    return new Refused(status, code, text);
  }

  private static Unavailable unavailable(String what, Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
        : failure;
    String why = cause instanceof HttpTimeoutException ? "no answer within the timeout"
        : cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    return new Unavailable("Twilio unreachable for " + what + " (" + why + ")");
  }

  private CallResource parseCall(String what, String body) {
    try {
      JsonNode call = json.readTree(body);
      String sid = call.path("sid").asText("");
      if (!sid.matches("CA[0-9a-f]{32}")) {
        throw new Refused(200, 0, "Twilio's answer to " + what + " has no call sid");
      }
      return new CallResource(sid, call.path("status").asText(""), call.path("to").asText(""),
          call.path("from").asText(""), call.path("direction").asText(""));
    } catch (IOException e) {
      throw new Refused(200, 0, "Twilio's answer to " + what + " is not JSON");
    }
  }

  private static String checkSid(String callSid) {
    if (callSid == null || !callSid.matches("CA[0-9a-f]{32}")) {
      throw new IllegalArgumentException("not a Twilio call sid: " + callSid);
    }
    return callSid;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
