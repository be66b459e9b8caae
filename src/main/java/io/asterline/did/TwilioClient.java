package io.asterline.did;

import io.asterline.twilio.TwilioAccount;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.config.ConfigException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an account's IncomingPhoneNumbers from the Twilio REST API, one page at a time, following
 * {@code next_page_uri} (reference/protocols.md section 6), and updates one number (where its calls go). A
 * request that fails (network, 5xx, 429) is retried with a doubling backoff; a refusal (401, 403, 404) is final at
 * once. No message ever holds a credential.
 */
public final class TwilioClient implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TwilioClient.class);

  /**
   * One number as Twilio lists it; {@code capabilities} is null when Twilio sends none. {@code voiceUrl} and
   * {@code trunkSid} say where an inbound call goes: a trunk SID, when set, wins over the voice URL (the call
   * reaches the trunk's SIP origination, Asterisk); both are null when Twilio sends none or an empty one.
   */
  public record Number(String sid, String phoneNumber, String friendlyName, Capabilities capabilities,
      String voiceUrl, String trunkSid) {}

  public record Capabilities(boolean voice, boolean sms, boolean mms) {}

  /** One page; {@code nextPageUri} is relative to the API base, empty on the last page. */
  public record Page(int page, List<Number> numbers, Optional<String> nextPageUri) {}

  /** A number's SID as Twilio makes them: it goes into a URL path, so nothing else is accepted. */
  public static final Pattern NUMBER_SID = Pattern.compile("PN[0-9a-fA-F]{32}");

  /** The request failed for good: the message says why, never with a credential in it. */
  public static final class TwilioException extends RuntimeException {
    public TwilioException(String message) {
      super(message);
    }
  }

  private final TwilioAccount config;
  private final ObjectMapper json;
  private final ExecutorService executor;
  private final HttpClient http;
  private final String accountSid;
  private final String authorization;

  public TwilioClient(TwilioAccount config, ObjectMapper json) {
    this.config = config;
    this.json = json;
    this.accountSid = config.accountSid().orElseThrow(() -> new ConfigException(
        "twilio.account-sid: required for Twilio's REST API (set TWILIO_ACCOUNT_SID)"));
    String user;
    String secret;
    if (config.apiKeySid().isPresent()) {
      user = config.apiKeySid().get();
      secret = config.apiKeySecret().orElseThrow();
    } else {
      user = accountSid;
      secret = config.authToken().orElseThrow(() -> new ConfigException(
          "twilio.auth-token: required for Twilio's REST API (set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and"
              + " TWILIO_API_KEY_SECRET)"));
    }
    this.authorization = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    AtomicInteger threads = new AtomicInteger();
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "twilio-http-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.http = HttpClient.newBuilder()
        .executor(executor)
        .connectTimeout(config.timeout())
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  public String accountSid() {
    return accountSid;
  }

  public Page firstPage() throws InterruptedException {
    return fetch("/2010-04-01/Accounts/" + accountSid + "/IncomingPhoneNumbers.json?PageSize=" + config.pageSize());
  }

  public Page nextPage(Page previous) throws InterruptedException {
    return fetch(previous.nextPageUri().orElseThrow());
  }

  private Page fetch(String relative) throws InterruptedException {
    URI uri = resolve(relative);
    String what = "page " + uri.getPath() + (uri.getQuery() == null ? "" : "?" + uri.getQuery());
    return parse(uri, exchange(uri, "Twilio page", what, () -> HttpRequest.newBuilder(uri).GET()));
  }

  /**
   * Updates one IncomingPhoneNumber (POST of a form to its instance URI, as Twilio's API v2010 updates a resource)
   * and answers the number as Twilio now has it. Twilio sets the parameters given and leaves the others; an empty
   * value clears one. Retried like a page (the same parameters set twice give the same number); a refusal (an
   * unknown SID answers 404) is final at once.
   */
  public Number updateNumber(String sid, Map<String, String> parameters) throws InterruptedException {
    if (sid == null || !NUMBER_SID.matcher(sid).matches()) {
      throw new TwilioException("'" + sid + "' is not a Twilio phone number SID (PN and 32 hexadecimal digits)");
    }
    URI uri = resolve("/2010-04-01/Accounts/" + accountSid + "/IncomingPhoneNumbers/" + sid + ".json");
    StringBuilder form = new StringBuilder();
    parameters.forEach((name, value) -> {
      if (form.length() > 0) {
        form.append('&');
      }
      form.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    });
    String body = exchange(uri, "Twilio update", "updating " + sid, () -> HttpRequest.newBuilder(uri)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form.toString(), StandardCharsets.UTF_8)));
    try {
      return number(json.readTree(body));
    } catch (IOException e) {
      throw new TwilioException("Twilio's answer to updating " + sid + " is not JSON: " + e.getMessage());
    }
  }

  /** One request with the account's credentials, retried as the class says; the body of a 2xx answer. */
  private String exchange(URI uri, String logName, String what, Supplier<HttpRequest.Builder> request)
      throws InterruptedException {
    Duration backoff = config.retryBackoff();
    for (int attempt = 1; ; attempt++) {
      String failure;
      Duration wait = backoff;
      try {
        HttpResponse<String> response = http.send(request.get()
                .timeout(config.timeout())
                .header("Authorization", authorization)
                .header("Accept", "application/json")
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
          return response.body();
        }
        failure = "HTTP " + status + twilioMessage(response.body());
        if (status == 401 || status == 403) {
          throw new TwilioException("Twilio refused the credentials for account " + accountSid + " (" + failure
              + "): check TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET");
        }
        if (status != 429 && status < 500) {
          throw new TwilioException("Twilio answered " + failure + " for " + uri.getPath());
        }
        Optional<Duration> asked = retryAfter(response);
        if (asked.isPresent() && asked.get().compareTo(backoff) > 0) {
          wait = asked.get();
        }
      } catch (IOException e) {
        failure = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
      if (attempt > config.retries()) {
        throw new TwilioException(what + " failed " + attempt + " times, last with " + failure);
      }
      log.warn("{} failed ({}), retry {} of {} in {} ms", logName, failure, attempt, config.retries(),
          wait.toMillis());
      Thread.sleep(wait.toMillis());
      backoff = backoff.multipliedBy(2);
    }
  }

  /** Twilio's URIs are relative to the API base; an absolute one must point at the same base. */
  private URI resolve(String next) {
    String base = config.apiBaseUrl().toString().replaceAll("/+$", "");
    if (next.startsWith("/")) {
      return URI.create(base + next);
    }
    if (next.startsWith(base + "/")) {
      return URI.create(next);
    }
    // the credentials go with every request: never to another host
    throw new TwilioException("Twilio's next page " + next + " is not under " + base + "; stopping");
  }

  private Page parse(URI uri, String body) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (IOException e) {
      throw new TwilioException("Twilio's page " + uri.getPath() + " is not JSON: " + e.getMessage());
    }
    JsonNode items = root.path("incoming_phone_numbers");
    if (!items.isArray()) {
      throw new TwilioException("Twilio's page " + uri.getPath() + " has no incoming_phone_numbers list");
    }
    List<Number> numbers = new ArrayList<>();
    for (JsonNode item : items) {
      numbers.add(number(item));
    }
    Optional<String> next = Optional.ofNullable(text(root, "next_page_uri")).filter(s -> !s.isBlank());
    return new Page(root.path("page").asInt(0), numbers, next);
  }

  private static Number number(JsonNode item) {
    JsonNode caps = item.path("capabilities");
    Capabilities capabilities = caps.isObject()
        ? new Capabilities(caps.path("voice").asBoolean(false), caps.path("sms").asBoolean(false),
            caps.path("mms").asBoolean(false))
        : null;
    return new Number(text(item, "sid"), text(item, "phone_number"), text(item, "friendly_name"), capabilities,
        nonEmpty(text(item, "voice_url")), nonEmpty(text(item, "trunk_sid")));
  }

  private static String nonEmpty(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private String twilioMessage(String body) {
    try {
      JsonNode error = json.readTree(body);
      String message = text(error, "message");
      return message == null ? "" : ": " + message;
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static Optional<Duration> retryAfter(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").flatMap(v -> {
      try {
        return Optional.of(Duration.ofSeconds(Math.min(60, Long.parseLong(v.trim()))));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    });
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }
}
