package io.asterline.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * dialplan/extensions_outbound.conf and the code agree: the context and extensions the originate and Asterisk
 * use exist, every ASTERLINE_ variable is one the code names, every AGI script it calls exists (here or on the
 * inbound side), every label and context it jumps to is defined, and the file keeps the exten/same form.
 */
class OutboundDialplanTest {

  private static final Path FILE = Path.of("dialplan/extensions_outbound.conf");
  /** Scripts the inbound side (FastAGI issue) serves; the outbound ones come from Outbound.agiScripts(). */
  private static final Set<String> INBOUND_SCRIPTS = Set.of("after-agent", "call-end");

  /** context -> extension -> labels, from the file. */
  private static Map<String, Map<String, Set<String>>> parse(List<String> lines) {
    Map<String, Map<String, Set<String>>> contexts = new LinkedHashMap<>();
    Pattern context = Pattern.compile("^\\[([a-z0-9-]+)]$");
    Pattern exten = Pattern.compile("^exten = ([a-z0-9]+),1,\\w+\\(.*\\)$");
    Pattern same = Pattern.compile("^ same = n(?:\\(([a-z-]+)\\))?,\\w+\\(.*\\)$");
    String current = null;
    String extension = null;
    for (String line : lines) {
      if (line.isBlank() || line.startsWith(";") || line.startsWith(" ;")) {
        continue;
      }
      Matcher m;
      if ((m = context.matcher(line)).matches()) {
        current = m.group(1);
        contexts.put(current, new LinkedHashMap<>());
        extension = null;
      } else if ((m = exten.matcher(line)).matches()) {
        assertThat(current).as("exten outside a context: " + line).isNotNull();
        extension = m.group(1);
        contexts.get(current).put(extension, new HashSet<>());
      } else if ((m = same.matcher(line)).matches()) {
        assertThat(extension).as("same before exten: " + line).isNotNull();
        if (m.group(1) != null) {
          contexts.get(current).get(extension).add(m.group(1));
        }
      } else {
        throw new AssertionError("not exten = .../ same = n,... form: '" + line + "'");
      }
      int depth = 0;
      for (char c : line.toCharArray()) {
        depth += c == '(' ? 1 : c == ')' ? -1 : 0;
        assertThat(depth).as("parentheses in: " + line).isGreaterThanOrEqualTo(0);
      }
      assertThat(depth).as("parentheses balance in: " + line).isZero();
    }
    return contexts;
  }

  @Test
  void theDialplanAndTheCodeAgree() throws Exception {
    List<String> lines = Files.readAllLines(FILE);
    Map<String, Map<String, Set<String>>> contexts = parse(lines);
    assertThat(contexts).containsKey(OutboundService.CONTEXT);
    assertThat(contexts.get(OutboundService.CONTEXT)).containsKeys("s", "failed");

    Set<String> known = new HashSet<>();
    for (Field field : OutboundVariables.class.getFields()) {
      if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
        known.add((String) field.get(null));
      }
    }
    // settings the shared [asterline-settings] context fills in (extensions_agent.conf)
    known.add("ASTERLINE_DIAL_TIMEOUT");
    known.add("ASTERLINE_AGI");
    String text = String.join("\n", lines);
    Matcher var = Pattern.compile("\\$\\{(ASTERLINE_[A-Z_]+)}").matcher(text);
    List<String> used = new ArrayList<>();
    while (var.find()) {
      used.add(var.group(1));
    }
    assertThat(used).isNotEmpty();
    assertThat(known).as("every ASTERLINE_ variable the dialplan reads is named in OutboundVariables")
        .containsAll(used);

    Set<String> scripts = new HashSet<>(INBOUND_SCRIPTS);
    scripts.addAll(Set.of("outbound-answered", "outbound-failed"));
    Matcher agi = Pattern.compile("AGI\\(\\$\\{ASTERLINE_AGI}/([a-z-]+)[,)]").matcher(text);
    Set<String> called = new HashSet<>();
    while (agi.find()) {
      called.add(agi.group(1));
    }
    assertThat(called).containsAll(Set.of("outbound-answered", "outbound-failed"));
    assertThat(scripts).containsAll(called);
    try (OutboundFixture f = OutboundFixture.start()) {
      assertThat(f.outbound.agiScripts().keySet()).containsExactlyInAnyOrder("outbound-answered", "outbound-failed");
    }

    // every jump lands: ?label or ?context,exten,priority, and Goto(context,exten,priority)
    Pattern jump = Pattern.compile("(?:\\?|Goto\\()([a-z-]+)(?:,([a-z0-9]+),1)?[)]");
    String currentContext = null;
    String currentExten = null;
    for (String line : lines) {
      Matcher c = Pattern.compile("^\\[([a-z0-9-]+)]$").matcher(line);
      if (c.matches()) {
        currentContext = c.group(1);
        continue;
      }
      Matcher e = Pattern.compile("^exten = ([a-z0-9]+),").matcher(line);
      if (e.find()) {
        currentExten = e.group(1);
      }
      if (line.trim().startsWith(";")) {
        continue;
      }
      Matcher j = jump.matcher(line);
      while (j.find()) {
        if (j.group(2) != null) {
          assertThat(contexts).as(line).containsKey(j.group(1));
          assertThat(contexts.get(j.group(1))).as(line).containsKey(j.group(2));
        } else {
          assertThat(contexts.get(currentContext).get(currentExten)).as("label in: " + line).contains(j.group(1));
        }
      }
    }

    Matcher mix = Pattern.compile("MixMonitor\\(([^)]*)\\)").matcher(text);
    assertThat(mix.find()).isTrue();
    assertThat(mix.group(1)).as("no b option: AMD runs before any bridge").doesNotContain(",");
    // the shared parts of extensions_agent.conf: the agent leg (AudioSocket or WebSocket, ASTERLINE_MEDIA), call-end
    // as hangup handler, after-agent after the agent leg
    assertThat(text).contains("Gosub(asterline-agent-leg,s,1)");
    assertThat(text).contains("Set(CHANNEL(hangup_handler_push)=asterline-call-end,s,1)");
    assertThat(text).contains("Gosub(asterline-after-agent,s,1)");
  }
}
