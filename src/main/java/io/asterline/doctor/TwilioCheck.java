package io.asterline.doctor;

import io.asterline.twilio.TwilioAccount;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.did.DidConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** GET Accounts/{sid}.json with the credentials {@code dids import twilio} uses. */
final class TwilioCheck {

  private static final String CHECK = "twilio";

  private final TwilioAccount config;
  private final ObjectMapper json;
  private final Duration timeout;

  TwilioCheck(TwilioAccount config, ObjectMapper json, Duration timeout) {
    this.config = config;
    this.json = json;
    this.timeout = timeout;
  }

  Finding run() {
    if (config.accountSid().isEmpty()) {
      return Finding.skip(CHECK, "twilio.account-sid is unset: Twilio is not used for DID imports");
    }
    String sid = config.accountSid().get();
    String user;
    String secret;
    String keys;
    if (config.apiKeySid().isPresent()) {
      user = config.apiKeySid().get();
      secret = config.apiKeySecret().orElse("");
      keys = "twilio.api-key-sid/twilio.api-key-secret (TWILIO_API_KEY/TWILIO_API_SECRET)";
    } else if (config.authToken().isPresent()) {
      user = sid;
      secret = config.authToken().get();
      keys = "twilio.auth-token (TWILIO_AUTH_TOKEN)";
    } else {
      return Finding.fail(CHECK, "account " + sid + " has no credentials: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY "
          + "and TWILIO_API_SECRET");
    }
    URI uri = URI.create(config.apiBaseUrl().toString().replaceAll("/+$", "") + "/2010-04-01/Accounts/" + sid + ".json");
    HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri)
              .timeout(timeout)
              .header("Authorization", "Basic " + Base64.getEncoder()
                  .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8)))
              .header("Accept", "application/json")
              .GET().build(),
          HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      int status = response.statusCode();
      if (status == 200) {
        JsonNode account = json.readTree(response.body());
        String state = account.path("status").asText("unknown");
        String name = account.path("friendly_name").asText("");
        String what = "account " + sid + (name.isEmpty() ? "" : " (" + name + ")") + " is " + state;
        return "active".equals(state) ? Finding.ok(CHECK, what)
            : Finding.fail(CHECK, what + ": Twilio serves only active accounts; reactivate it in the console");
      }
      if (status == 401 || status == 403) {
        return Finding.fail(CHECK, "Twilio refused the credentials for account " + sid + " (HTTP " + status + "): "
            + "check " + keys + " and twilio.account-sid");
      }
      if (status == 404) {
        return Finding.fail(CHECK, "Twilio knows no account " + sid + " (HTTP 404): check twilio.account-sid "
            + "(TWILIO_ACCOUNT_SID)");
      }
      return Finding.fail(CHECK, "Twilio answered HTTP " + status + " for account " + sid);
    } catch (IOException e) {
      return Finding.fail(CHECK, "cannot reach Twilio at " + config.apiBaseUrl() + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Finding.fail(CHECK, "interrupted");
    }
  }
}
