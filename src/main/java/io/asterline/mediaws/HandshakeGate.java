package io.asterline.mediaws;

import io.asterline.agent.Agents;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP request before the WebSocket upgrade: the path, the Basic-auth password websocket_client.conf sends
 * (when {@code mediaws.password} is set) and the call id in the {@code call} URI parameter ({@code v(call=...)} in
 * the Dial string). A request that fails gets a plain HTTP error, which Asterisk's Dial reports as CHANUNAVAIL; one
 * that passes gets its call handler and goes on to the handshake.
 */
final class HandshakeGate extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(HandshakeGate.class);

  static final String PATH = "/media";

  private final Agents agents;
  private final MediaWsConfig config;

  HandshakeGate(Agents agents, MediaWsConfig config) {
    this.agents = agents;
    this.config = config;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    QueryStringDecoder uri = new QueryStringDecoder(request.uri());
    if (!uri.path().equals(PATH)) {
      refuse(ctx, request, HttpResponseStatus.NOT_FOUND, "the media WebSocket is at " + PATH + ", not " + uri.path());
      return;
    }
    if (config.password().isPresent() && !authorized(request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
      refuse(ctx, request, HttpResponseStatus.UNAUTHORIZED,
          "wrong or missing credentials (websocket_client.conf username/password against mediaws.username/password)");
      return;
    }
    UUID callId = null;
    List<String> call = uri.parameters().get("call");
    if (call != null && !call.isEmpty()) {
      try {
        callId = UUID.fromString(call.get(0));
      } catch (IllegalArgumentException e) {
        refuse(ctx, request, HttpResponseStatus.BAD_REQUEST, "the call parameter is not a call id: " + call.get(0));
        return;
      }
    }
    ctx.pipeline().addLast("call", new MediaCallHandler(agents, callId));
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(request);
  }

  private boolean authorized(String header) {
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return false;
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(header.substring(6).strip());
    } catch (IllegalArgumentException e) {
      return false;
    }
    Optional<String> password = config.password();
    byte[] expected = (config.username() + ":" + password.orElseThrow()).getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, expected);
  }

  private static void refuse(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status, String why) {
    // the reason names no secret: never the credentials that were sent
    log.warn("media WebSocket request from {} refused ({}): {}", ctx.channel().remoteAddress(), status.code(), why);
    request.release();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(status.reasonPhrase() + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    if (status == HttpResponseStatus.UNAUTHORIZED) {
      response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"asterline media\"");
    }
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
