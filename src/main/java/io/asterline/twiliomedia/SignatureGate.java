package io.asterline.twiliomedia;

import io.asterline.agent.Agents;
import io.asterline.twilio.TwilioSignature;
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
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP request before the WebSocket upgrade: the path, and Twilio's {@code X-Twilio-Signature}, which for a
 * Media Stream is made over the stream URL alone ({@code twilio.stream-url}, as the TwiML named it). A request that
 * fails gets a plain HTTP error and nothing of it is read further; one that passes gets its stream handler.
 */
final class SignatureGate extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(SignatureGate.class);

  static final String PATH = "/twilio/stream";

  private final Agents agents;
  private final TwilioMedia.Deps deps;

  SignatureGate(Agents agents, TwilioMedia.Deps deps) {
    this.agents = agents;
    this.deps = deps;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    String path = new QueryStringDecoder(request.uri()).path();
    if (!path.equals(PATH)) {
      refuse(ctx, request, HttpResponseStatus.NOT_FOUND, "Twilio's Media Streams are served at " + PATH);
      return;
    }
    String signature = request.headers().get(TwilioSignature.HEADER);
    if (!TwilioSignature.valid(deps.authToken(), deps.streamUrl(), Map.of(), signature)) {
      refuse(ctx, request, HttpResponseStatus.FORBIDDEN, signature == null || signature.isBlank()
          ? "no " + TwilioSignature.HEADER
          : TwilioSignature.HEADER + " is not Twilio's for " + deps.streamUrl() + " with this account's auth token");
      return;
    }
    ctx.pipeline().addLast("call", new StreamCallHandler(agents, deps));
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(request);
  }

  private static void refuse(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
      String why) {
    // the reason names no secret: neither the auth token nor the signature sent
    log.warn("Media Streams request from {} refused ({}): {}", ctx.channel().remoteAddress(), status.code(), why);
    request.release();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.copiedBuffer(status.reasonPhrase() + "\n", StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
