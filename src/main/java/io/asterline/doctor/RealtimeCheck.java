package io.asterline.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.realtime.OpenAiConfig;
import io.asterline.realtime.RealtimeClient;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * Opens one Realtime session with the service's key and model (WebSocket handshake, then the first server event)
 * and closes it at once: no audio, no response, so it costs nothing but the connection.
 */
final class RealtimeCheck {

  private static final String CHECK = "realtime";

  private final OpenAiConfig config;
  private final ObjectMapper json;
  private final Duration timeout;

  RealtimeCheck(OpenAiConfig config, ObjectMapper json, Duration timeout) {
    this.config = config;
    this.json = json;
    this.timeout = timeout;
  }

  Finding run() {
    if (config.apiKey().isEmpty()) {
      return Finding.skip(CHECK, "openai.api-key is unset: only tenants with a key of their own can talk to the "
          + "agent; set OPENAI_API_KEY to check a session");
    }
    URI url = URI.create(config.realtimeUrl() + (config.realtimeUrl().getRawQuery() == null ? "?" : "&") + "model="
        + URLEncoder.encode(config.model(), StandardCharsets.UTF_8));
    CompletableFuture<Finding> outcome = new CompletableFuture<>();
    String where = config.realtimeUrl().getHost() + ", model " + config.model();
    WebSocketClient client = new WebSocketClient(url, Map.of("Authorization", "Bearer " + config.apiKey().get())) {
      @Override
      public void onOpen(ServerHandshake handshake) {
        // the session exists once the server says so
      }

      @Override
      public void onMessage(String message) {
        outcome.complete(firstEvent(message, where));
      }

      @Override
      public void onClose(int code, String reason, boolean remote) {
        outcome.complete(closed(code, reason, where));
      }

      @Override
      public void onError(Exception ex) {
        outcome.complete(Finding.fail(CHECK, "cannot reach the Realtime API at " + where + ": "
            + RealtimeClient.redact(String.valueOf(ex.getMessage())) + "; check realtime.url (REALTIME_URL) and this "
            + "host's route to it"));
      }
    };
    client.setConnectionLostTimeout(0);
    try {
      if (!client.connectBlocking(timeout.toMillis(), TimeUnit.MILLISECONDS) && !outcome.isDone()) {
        return Finding.fail(CHECK, "no WebSocket handshake with " + where + " within " + timeout.toMillis() + "ms");
      }
      return outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      return Finding.fail(CHECK, "connected to " + where + " but no session.created within " + timeout.toMillis() + "ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Finding.fail(CHECK, "interrupted");
    } catch (ExecutionException e) {
      return Finding.fail(CHECK, String.valueOf(e.getCause()));
    } finally {
      try {
        client.closeBlocking();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Finding firstEvent(String message, String where) {
    try {
      JsonNode event = json.readTree(message);
      String type = event.path("type").asText();
      if ("session.created".equals(type)) {
        return Finding.ok(CHECK, "opened and closed a session at " + where);
      }
      if ("error".equals(type)) {
        JsonNode error = event.path("error");
        return Finding.fail(CHECK, "the Realtime API refused the session at " + where + ": "
            + RealtimeClient.redact(error.path("code").asText(error.path("type").asText())) + ": "
            + RealtimeClient.redact(error.path("message").asText()) + "; check realtime.model (REALTIME_MODEL) and "
            + "the key's access to it");
      }
      return Finding.fail(CHECK, "the Realtime API at " + where + " began with " + type + " instead of session.created");
    } catch (java.io.IOException e) {
      return Finding.fail(CHECK, "the Realtime API at " + where + " sent something that is not JSON");
    }
  }

  private static Finding closed(int code, String reason, String where) {
    String why = RealtimeClient.redact(reason == null ? "" : reason);
    // Java-WebSocket reports a refused handshake as "Invalid status code received: 401 Status line: ..."
    if (why.contains(" 401")) {
      return Finding.fail(CHECK, "the Realtime API refused the key (HTTP 401) at " + where + ": set openai.api-key "
          + "(OPENAI_API_KEY) to a valid OpenAI API key");
    }
    if (why.contains(" 403")) {
      return Finding.fail(CHECK, "the Realtime API refused this key the model (HTTP 403) at " + where + ": use a key "
          + "of a project allowed to use it, or another realtime.model");
    }
    if (why.contains(" 404")) {
      return Finding.fail(CHECK, "no Realtime API at " + where + " (HTTP 404): check realtime.url and realtime.model");
    }
    return Finding.fail(CHECK, "the Realtime API at " + where + " closed the connection before session.created (code "
        + code + (why.isBlank() ? "" : ": " + why) + ")");
  }
}
