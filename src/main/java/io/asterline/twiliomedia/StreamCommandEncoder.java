package io.asterline.twiliomedia;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.base64.Base64;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@link StreamCommand}s as the JSON text frames Twilio reads: {@code {"event":"media","streamSid":...,"media":
 * {"payload":<base64 µ-law>}}}, {@code {"event":"mark",...,"mark":{"name":...}}}, {@code {"event":"clear",...}}.
 * The stream SID was checked against Twilio's format when the stream started and mark names are ours (base-36
 * counters), so nothing here needs JSON escaping.
 */
@Sharable
public final class StreamCommandEncoder extends MessageToMessageEncoder<StreamCommand> {

  public static final StreamCommandEncoder INSTANCE = new StreamCommandEncoder();

  private StreamCommandEncoder() {
    super(StreamCommand.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, StreamCommand command, List<Object> out) {
    if (command instanceof StreamCommand.Media media) {
      ByteBuf mulaw = media.mulaw();
      ByteBuf b64 = Base64.encode(mulaw, false);
      try {
        ByteBuf text = ctx.alloc().buffer(b64.readableBytes() + 96);
        text.writeCharSequence("{\"event\":\"media\",\"streamSid\":\"" + media.streamSid()
            + "\",\"media\":{\"payload\":\"", StandardCharsets.US_ASCII);
        text.writeBytes(b64);
        text.writeCharSequence("\"}}", StandardCharsets.US_ASCII);
        out.add(new TextWebSocketFrame(text));
      } finally {
        b64.release();
        mulaw.release();
      }
    } else if (command instanceof StreamCommand.Mark mark) {
      out.add(new TextWebSocketFrame("{\"event\":\"mark\",\"streamSid\":\"" + mark.streamSid()
          + "\",\"mark\":{\"name\":\"" + mark.name() + "\"}}"));
    } else {
      out.add(new TextWebSocketFrame("{\"event\":\"clear\",\"streamSid\":\"" + command.streamSid() + "\"}"));
    }
  }
}
