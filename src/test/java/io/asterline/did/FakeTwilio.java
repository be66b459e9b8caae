package io.asterline.did;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Twilio's IncomingPhoneNumbers list endpoint on 127.0.0.1: HTTP Basic auth checked, pages in Twilio's
 * exact JSON envelope with relative {@code next_page_uri}s carrying a PageToken, and injectable failures; and the
 * instance update (POST of a form to {@code IncomingPhoneNumbers/{sid}.json}): the parameters set, an empty one
 * cleared, the number answered as it now is, an unknown SID answered with Twilio's 20404 error; every update
 * received is recorded.
 */
public final class FakeTwilio implements AutoCloseable {

  public static final String ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
  public static final String AUTH_TOKEN = "fake-auth-token-0123456789";
  static final String LIST_PATH = "/2010-04-01/Accounts/" + ACCOUNT_SID + "/IncomingPhoneNumbers.json";

  /** A number the account holds; {@code voiceUrl} and {@code trunkSid} null when unset. */
  record Number(String sid, String phoneNumber, String friendlyName, boolean voice, boolean sms, boolean mms,
      String voiceUrl, String trunkSid) {}

  /** One update as it arrived: the SID in its path, its form parameters in order, its Content-Type. */
  record Update(String sid, Map<String, String> form, String contentType) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final List<Number> numbers = new ArrayList<>();
  private final String expectedAuthorization;
  /** Page index -> how many more times it fails with a 503; -1 = always. */
  private final Map<Integer, Integer> failures = new ConcurrentHashMap<>();
  final AtomicInteger requests = new AtomicInteger();
  final List<String> queries = java.util.Collections.synchronizedList(new ArrayList<>());
  /** Every update received (with valid credentials), in order. */
  final List<Update> updates = new java.util.concurrent.CopyOnWriteArrayList<>();

  FakeTwilio(String user, String secret) throws IOException {
    this.expectedAuthorization = "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-twilio"));
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public FakeTwilio() throws IOException {
    this(ACCOUNT_SID, AUTH_TOKEN);
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  FakeTwilio number(String sid, String phoneNumber, String friendlyName, boolean voice, boolean sms, boolean mms) {
    return number(sid, phoneNumber, friendlyName, voice, sms, mms, null, null);
  }

  /** A number whose calls go to {@code voiceUrl}, or to the trunk {@code trunkSid} when that is set. */
  FakeTwilio number(String sid, String phoneNumber, String friendlyName, boolean voice, boolean sms, boolean mms,
      String voiceUrl, String trunkSid) {
    numbers.add(new Number(sid, phoneNumber, friendlyName, voice, sms, mms, voiceUrl, trunkSid));
    return this;
  }

  /** The number with this SID as the account now holds it. */
  synchronized Number get(String sid) {
    return numbers.stream().filter(n -> n.sid().equals(sid)).findFirst().orElseThrow();
  }

  /** Page {@code page} (0-based) answers 503 the next {@code times} requests; -1 = always. */
  void failPage(int page, int times) {
    failures.put(page, times);
  }

  private void handle(HttpExchange ex) throws IOException {
    requests.incrementAndGet();
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getRawQuery();
    queries.add(query);
    if (!expectedAuthorization.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
      send(ex, 401, """
          {"code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.", \
          "message": "Authentication Error - invalid username", \
          "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}""");
      return;
    }
    if (path.equals("/2010-04-01/Accounts/" + ACCOUNT_SID + ".json")) {
      // the account resource, as Twilio's API v2010 answers it (trimmed of its subresource URIs)
      send(ex, 200, """
          {"auth_token": "%s", "date_created": "Thu, 30 Jul 2015 20:00:00 +0000", \
          "date_updated": "Thu, 30 Jul 2015 20:00:00 +0000", "friendly_name": "Asterline test", \
          "owner_account_sid": "%s", "sid": "%s", "status": "active", "type": "Full", \
          "uri": "/2010-04-01/Accounts/%s.json"}""".formatted(AUTH_TOKEN, ACCOUNT_SID, ACCOUNT_SID, ACCOUNT_SID));
      return;
    }
    String instancePrefix = LIST_PATH.substring(0, LIST_PATH.length() - ".json".length()) + "/";
    if (path.startsWith(instancePrefix) && path.endsWith(".json") && ex.getRequestMethod().equals("POST")) {
      update(ex, path.substring(instancePrefix.length(), path.length() - ".json".length()));
      return;
    }
    if (!path.equals(LIST_PATH)) {
      send(ex, 404, """
          {"code": 20404, "message": "The requested resource %s was not found", \
          "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}""".formatted(path));
      return;
    }
    Map<String, String> params = params(query);
    int pageSize = Integer.parseInt(params.getOrDefault("PageSize", "50"));
    int page = Integer.parseInt(params.getOrDefault("Page", "0"));
    if (page > 0 && !("PAPN" + page).equals(params.get("PageToken"))) {
      send(ex, 400, "{\"code\": 20001, \"message\": \"Invalid PageToken\", \"status\": 400}");
      return;
    }
    Integer left = failures.get(page);
    if (left != null && left != 0) {
      failures.put(page, left < 0 ? left : left - 1);
      send(ex, 503, "{\"code\": 20503, \"message\": \"Service unavailable\", \"status\": 503}");
      return;
    }
    send(ex, 200, page(page, pageSize));
  }

  private synchronized String page(int page, int pageSize) {
    int start = page * pageSize;
    int end = Math.min(numbers.size(), start + pageSize);
    StringBuilder items = new StringBuilder();
    for (int i = start; i < end; i++) {
      Number n = numbers.get(i);
      if (items.length() > 0) {
        items.append(",\n");
      }
      items.append(item(n));
    }
    boolean last = end >= numbers.size();
    String base = LIST_PATH + "?PageSize=" + pageSize;
    String next = last ? "null" : "\"" + base + "&Page=" + (page + 1) + "&PageToken=PAPN" + (page + 1) + "\"";
    String previous = page == 0 ? "null" : "\"" + base + "&Page=" + (page - 1) + "&PageToken=PBPN" + (page - 1) + "\"";
    return """
        {
          "end": %d,
          "first_page_uri": "%s&Page=0",
          "incoming_phone_numbers": [
        %s
          ],
          "next_page_uri": %s,
          "page": %d,
          "page_size": %d,
          "previous_page_uri": %s,
          "start": %d,
          "uri": "%s&Page=%d"
        }""".formatted(Math.max(start, end - 1), base, items, next, page, pageSize, previous, start, base, page);
  }

  /** One number in Twilio's JSON, as the list and an update answer it. */
  private static String item(Number n) {
    return """
        {
          "account_sid": "%1$s",
          "address_requirements": "none",
          "address_sid": null,
          "api_version": "2010-04-01",
          "beta": false,
          "bundle_sid": null,
          "capabilities": {"fax": false, "mms": %5$s, "sms": %4$s, "voice": %3$s},
          "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
          "date_updated": "Thu, 30 Jul 2015 23:19:04 +0000",
          "emergency_address_sid": null,
          "emergency_address_status": "unregistered",
          "emergency_status": "Active",
          "friendly_name": "%6$s",
          "identity_sid": null,
          "origin": "twilio",
          "phone_number": "%7$s",
          "sid": "%2$s",
          "sms_application_sid": "",
          "sms_fallback_method": "POST",
          "sms_fallback_url": "",
          "sms_method": "POST",
          "sms_url": "",
          "status": "in-use",
          "status_callback": "",
          "status_callback_method": "POST",
          "subresource_uris": {
            "assigned_add_ons": "/2010-04-01/Accounts/%1$s/IncomingPhoneNumbers/%2$s/AssignedAddOns.json"
          },
          "trunk_sid": %8$s,
          "type": "local",
          "uri": "/2010-04-01/Accounts/%1$s/IncomingPhoneNumbers/%2$s.json",
          "voice_application_sid": "",
          "voice_caller_id_lookup": false,
          "voice_fallback_method": "POST",
          "voice_fallback_url": null,
          "voice_method": "POST",
          "voice_receive_mode": "voice",
          "voice_url": %9$s
        }""".formatted(ACCOUNT_SID, n.sid(), n.voice(), n.sms(), n.mms(), n.friendlyName(),
        n.phoneNumber(), string(n.trunkSid()), string(n.voiceUrl()));
  }

  private static String string(String s) {
    return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** POST IncomingPhoneNumbers/{sid}.json: Twilio sets what the form names; an empty value clears it. */
  private void update(HttpExchange ex, String sid) throws IOException {
    String contentType = ex.getRequestHeaders().getFirst("Content-Type");
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Map<String, String> form = new java.util.LinkedHashMap<>();
    for (String pair : body.isEmpty() ? new String[0] : body.split("&")) {
      int eq = pair.indexOf('=');
      String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      form.put(name, value);
    }
    updates.add(new Update(sid, form, contentType));
    Number updated;
    synchronized (this) {
      int i = -1;
      for (int j = 0; j < numbers.size(); j++) {
        if (numbers.get(j).sid().equals(sid)) {
          i = j;
        }
      }
      if (i < 0) {
        send(ex, 404, """
            {"code": 20404, "message": "The requested resource %s was not found", \
            "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}""".formatted(ex.getRequestURI()
            .getPath()));
        return;
      }
      Number n = numbers.get(i);
      String voiceUrl = form.containsKey("VoiceUrl") ? emptyToNull(form.get("VoiceUrl")) : n.voiceUrl();
      String trunkSid = form.containsKey("TrunkSid") ? emptyToNull(form.get("TrunkSid")) : n.trunkSid();
      updated = new Number(n.sid(), n.phoneNumber(), n.friendlyName(), n.voice(), n.sms(), n.mms(), voiceUrl,
          trunkSid);
      numbers.set(i, updated);
    }
    send(ex, 200, item(updated));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static Map<String, String> params(String query) {
    Map<String, String> params = new java.util.HashMap<>();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          params.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
    }
    return params;
  }

  private static void send(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
