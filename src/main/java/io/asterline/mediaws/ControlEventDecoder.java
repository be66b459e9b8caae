package io.asterline.mediaws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Text frames from Asterisk's WebSocket channel into {@link ControlEvent}s, in either of its two formats: JSON when
 * the text is an object ({@code f(json)}), else plain text (the event name, then {@code name:value} words). The
 * format of the first message is the connection's: the encoder answers in it ({@link #JSON}).
 */
public final class ControlEventDecoder extends MessageToMessageDecoder<TextWebSocketFrame> {

  /** Set on the channel once the first message shows which format Asterisk speaks; true for JSON. */
  public static final AttributeKey<Boolean> JSON = AttributeKey.valueOf("mediaws.json");

  /** Longer than any event chan_websocket writes but MEDIA_START with many channel variables. */
  static final int MAX_TEXT = 64 * 1024;

  private final ObjectMapper json;

  public ControlEventDecoder(ObjectMapper json) {
    super(TextWebSocketFrame.class);
    this.json = json;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, TextWebSocketFrame frame, List<Object> out) {
    if (frame.content().readableBytes() > MAX_TEXT) {
      throw new MediaWsProtocolException("a control message of " + frame.content().readableBytes()
          + " bytes (at most " + MAX_TEXT + ")");
    }
    String text = frame.text().strip();
    if (text.isEmpty()) {
      throw new MediaWsProtocolException("an empty control message");
    }
    boolean isJson = text.charAt(0) == '{';
    ctx.channel().attr(JSON).setIfAbsent(isJson);
    ControlEvent event = isJson ? fromJson(text) : fromPlain(text);
    if (event != null) {
      out.add(event);
    }
  }

  /** Parses one message; null for an event this version does not know (a newer Asterisk may add some). */
  ControlEvent fromJson(String text) {
    JsonNode node;
    try {
      node = json.readTree(text);
    } catch (IOException e) {
      throw new MediaWsProtocolException("a control message that is not JSON: " + shorten(text));
    }
    String event = node.path("event").asText("");
    if (event.isEmpty()) {
      throw new MediaWsProtocolException("a JSON control message without \"event\": " + shorten(text));
    }
    return switch (event) {
      case "MEDIA_START" -> {
        Map<String, String> vars = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.path("channel_variables").fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          vars.put(e.getKey(), e.getValue().asText());
        }
        yield mediaStart(text, node.path("connection_id").asText(null), node.path("channel").asText(null),
            node.path("channel_id").asText(null), node.path("format").asText(null),
            node.path("optimal_frame_size").isInt() ? Integer.toString(node.path("optimal_frame_size").asInt()) : null,
            node.path("ptime").isInt() ? Integer.toString(node.path("ptime").asInt()) : null, vars);
      }
      case "MEDIA_MARK_PROCESSED" -> new ControlEvent.MarkProcessed(node.path("correlation_id").asText(""));
      case "MEDIA_BUFFERING_COMPLETED" -> new ControlEvent.BufferingCompleted(node.path("correlation_id").asText(""));
      case "MEDIA_XOFF" -> new ControlEvent.Xoff();
      case "MEDIA_XON" -> new ControlEvent.Xon();
      case "QUEUE_DRAINED" -> new ControlEvent.QueueDrained();
      case "DTMF_END" -> new ControlEvent.DtmfEnd(digit(text, node.path("digit").asText("")));
      case "STATUS" -> new ControlEvent.Status(node.path("queue_length").asInt(), node.path("queue_full").asBoolean(),
          node.path("bulk_media").asBoolean(), node.path("media_paused").asBoolean());
      case "ERROR" -> new ControlEvent.Error(node.path("error_text").asText(""));
      default -> null;
    };
  }

  ControlEvent fromPlain(String text) {
    int space = text.indexOf(' ');
    String event = space < 0 ? text : text.substring(0, space);
    String rest = space < 0 ? "" : text.substring(space + 1).strip();
    return switch (event) {
      case "MEDIA_START" -> {
        Map<String, String> f = fields(rest);
        yield mediaStart(text, f.get("connection_id"), f.get("channel"), f.get("channel_id"), f.get("format"),
            f.get("optimal_frame_size"), f.get("ptime"), Map.of());
      }
      case "MEDIA_MARK_PROCESSED" -> new ControlEvent.MarkProcessed(rest);
      case "MEDIA_BUFFERING_COMPLETED" -> new ControlEvent.BufferingCompleted(rest);
      case "MEDIA_XOFF" -> new ControlEvent.Xoff();
      case "MEDIA_XON" -> new ControlEvent.Xon();
      case "QUEUE_DRAINED" -> new ControlEvent.QueueDrained();
      case "DTMF_END" -> new ControlEvent.DtmfEnd(digit(text, fields(rest).getOrDefault("digit", "")));
      case "STATUS" -> {
        Map<String, String> f = fields(rest);
        yield new ControlEvent.Status(integer(text, f.getOrDefault("queue_length", "0")),
            "true".equals(f.get("queue_full")), "true".equals(f.get("bulk_media")), "true".equals(f.get("media_paused")));
      }
      // error_text runs to the end of the message, spaces included
      case "ERROR" -> new ControlEvent.Error(rest.contains("error_text:")
          ? rest.substring(rest.indexOf("error_text:") + "error_text:".length()) : rest);
      default -> null;
    };
  }

  private static ControlEvent.MediaStart mediaStart(String text, String connectionId, String channel, String channelId,
      String format, String frameSize, String ptime, Map<String, String> vars) {
    if (connectionId == null || channel == null || format == null || frameSize == null || ptime == null) {
      throw new MediaWsProtocolException("MEDIA_START without connection_id, channel, format, optimal_frame_size or "
          + "ptime: " + shorten(text));
    }
    return new ControlEvent.MediaStart(connectionId, channel, channelId == null ? "" : channelId, format,
        integer(text, frameSize), integer(text, ptime), Map.copyOf(vars));
  }

  /** {@code name:value} words; a value keeps any further colons (channel names have none, times might). */
  private static Map<String, String> fields(String rest) {
    Map<String, String> f = new HashMap<>();
    for (String word : rest.split(" +")) {
      int colon = word.indexOf(':');
      if (colon > 0) {
        f.put(word.substring(0, colon), word.substring(colon + 1));
      }
    }
    return f;
  }

  private static char digit(String text, String digit) {
    if (digit.length() != 1 || "0123456789*#ABCD".indexOf(digit.charAt(0)) < 0) {
      throw new MediaWsProtocolException("DTMF_END with digit \"" + digit + "\" (0-9, *, #, A-D): " + shorten(text));
    }
    return digit.charAt(0);
  }

  private static int integer(String text, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new MediaWsProtocolException("\"" + value + "\" where a number belongs: " + shorten(text));
    }
  }

  private static String shorten(String text) {
    return text.length() > 120 ? text.substring(0, 120) + "..." : text;
  }
}
