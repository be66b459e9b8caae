package io.asterline.mediaws;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.agent.Agents;
import io.asterline.media.MediaServer;
import io.asterline.media.MediaTransport;

/**
 * The WebSocket media feature started: the server Asterisk 22's chan_websocket connects agent legs to (the
 * connection named in websocket_client.conf, dialled as {@code WebSocket/<connection>/c(ulaw)}), and its part of
 * {@code /health} (critical). Asterisk finds it through websocket_client.conf, not through an address Asterline
 * hands out: {@link #dialAddress()} is the URI that file must name.
 */
public final class MediaWs extends MediaTransport {

  private MediaWs(MediaServer server, MediaWsConfig config) {
    super(server, "ws://" + config.bind().getHostAddress() + ":" + server.port() + "/media");
  }

  public static MediaWs start(MediaWsConfig config, Agents agents, ObjectMapper json) {
    return new MediaWs(MediaWsServer.start(config, agents, json), config);
  }
}
