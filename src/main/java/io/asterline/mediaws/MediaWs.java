package io.asterline.mediaws;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agent.Agents;
import io.asterline.feature.MediaFeature;
import io.asterline.http.HealthCheck;
import java.util.List;

/**
 * The WebSocket media feature started: the server Asterisk 22's chan_websocket connects agent legs to (the
 * connection named in websocket_client.conf, dialled as {@code WebSocket/<connection>/c(ulaw)}), and its part of
 * {@code /health} (critical). Asterisk finds it through websocket_client.conf, not through an address Asterline
 * hands out: {@link #dialAddress()} is the URI that file must name.
 */
public final class MediaWs implements MediaFeature {

  private final MediaWsServer server;
  private final MediaWsConfig config;

  private MediaWs(MediaWsServer server, MediaWsConfig config) {
    this.server = server;
    this.config = config;
  }

  public static MediaWs start(MediaWsConfig config, Agents agents, ObjectMapper json) {
    return new MediaWs(MediaWsServer.start(config, agents, json), config);
  }

  public int port() {
    return server.port();
  }

  @Override
  public String dialAddress() {
    return "ws://" + config.bind().getHostAddress() + ":" + server.port() + "/media";
  }

  @Override
  public int activeCalls() {
    return server.activeCalls();
  }

  @Override
  public String name() {
    return "mediaws";
  }

  @Override
  public List<HealthCheck> healthChecks() {
    return List.of(server.health());
  }

  /** Calls still connected end through their fallback. */
  @Override
  public void close() {
    server.close();
  }
}
