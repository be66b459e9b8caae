package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No Asterisk runs here, so the dialplan is checked the way Asterisk's loader would trip over it: line
 * syntax, balanced brackets, known applications, every Goto/GotoIf/Gosub target existing, and every
 * ASTERLINE_ variable being one the scripts set, a documented setting, and documented.
 */
class DialplanTest {

  private static final Path DIR = Path.of("dialplan");
  private static final Pattern CONTEXT = Pattern.compile("\\[([A-Za-z0-9_-]+)]");
  private static final Pattern EXTEN = Pattern.compile("exten = ([^,]+),(1|n)(?:\\(([a-z-]+)\\))?,([A-Za-z]+)\\((.*)\\)");
  private static final Pattern SAME = Pattern.compile("same = n(?:\\(([a-z-]+)\\))?,([A-Za-z]+)\\((.*)\\)");
  private static final Set<String> APPS = Set.of("NoOp", "Set", "Goto", "GotoIf", "Gosub", "Return", "AGI", "Answer",
      "ExecIf", "MixMonitor", "Dial", "Hangup", "Playback", "AMD", "WaitForSilence", "Record", "PlayTones",
      "StopPlayTones", "Wait", "Log");
  // applications of modules that a bare Asterisk may not run (app_amd refuses to load without amd.conf)
  private static final Set<String> OPTIONAL_APPS = Set.of("AMD");
  // the dialplan's own state between its lines, documented in dialplan/README.md
  private static final Set<String> INTERNAL = Set.of("ASTERLINE_AGI_PICKED", "ASTERLINE_AGI_FAILED");
  private static final Pattern VARIABLE = Pattern.compile("\\b(ASTERLINE_[A-Z_]+)\\b");

  private record Line(String file, int number, String context, String exten, String label, String app, String args) {
    String where() {
      return file + ":" + number;
    }
  }

  private static final List<Line> lines = new ArrayList<>();
  // context -> extension -> labels
  private static final Map<String, Map<String, Set<String>>> labels = new HashMap<>();

  @BeforeAll
  static void parse() throws IOException {
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".conf")).sorted().toList()) {
        String context = null;
        String exten = null;
        int n = 0;
        for (String raw : Files.readAllLines(file)) {
          n++;
          String line = raw.strip();
          if (line.isEmpty() || line.startsWith(";")) {
            continue;
          }
          String where = file.getFileName() + ":" + n;
          assertThat(balanced(line)).as("unbalanced brackets at %s: %s", where, line).isTrue();
          Matcher m;
          if ((m = CONTEXT.matcher(line)).matches()) {
            context = m.group(1);
            assertThat(labels).as("context %s defined twice (%s)", context, where).doesNotContainKey(context);
            labels.put(context, new HashMap<>());
            exten = null;
          } else if ((m = EXTEN.matcher(line)).matches()) {
            assertThat(context).as("exten outside a context at %s", where).isNotNull();
            assertThat(m.group(2)).as("an extension starts at priority 1 (%s)", where).isEqualTo("1");
            exten = m.group(1);
            labels.get(context).computeIfAbsent(exten, k -> new HashSet<>()).add("1");
            add(file, n, context, exten, m.group(3), m.group(4), m.group(5));
          } else if ((m = SAME.matcher(line)).matches()) {
            assertThat(exten).as("same without an exten at %s", where).isNotNull();
            add(file, n, context, exten, m.group(1), m.group(2), m.group(3));
          } else {
            throw new AssertionError("not dialplan syntax at " + where + ": " + raw);
          }
        }
      }
    }
    assertThat(labels).containsKeys("from-trunk", "asterline-settings", "asterline-call-end", "asterline-after-agent",
        "asterline-failure", "asterline-voicemail", "asterline-voicemail-done");
  }

  private static void add(Path file, int n, String context, String exten, String label, String app, String args) {
    if (label != null) {
      assertThat(labels.get(context).get(exten)).as("label %s twice in %s,%s", label, context, exten).doesNotContain(label);
      labels.get(context).get(exten).add(label);
    }
    lines.add(new Line(file.getFileName().toString(), n, context, exten, label, app, args));
  }

  @Test
  void onlyApplicationsAsteriskShipsAreUsed() {
    for (Line line : lines) {
      assertThat(APPS).as("application %s at %s", line.app(), line.where()).contains(line.app());
    }
  }

  /**
   * A caller hears something even on an Asterisk without sound packages: Playback of a missing file fails at once
   * (PLAYBACKSTATUS=FAILED) and the next line must notice and do something audible (the generated tone, or the
   * agent), never hang up or go on in silence.
   */
  @Test
  void everyPlaybackHasASoundlessFallback() {
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      if (line.app().equals("Playback") || line.args().contains("Playback(")) {
        Line next = lines.get(i + 1);
        assertThat(next.args()).as("the line after the Playback at %s checks PLAYBACKSTATUS", line.where())
            .contains("${PLAYBACKSTATUS}");
      }
    }
    List<Line> announce = lines.stream().filter(l -> l.context().equals("asterline-announce")).toList();
    assertThat(announce).extracting(Line::app).containsSubsequence("Playback", "GotoIf", "PlayTones", "Wait");
    // the tone is frequencies, not the name of an indications.conf zone tone a bare Asterisk lacks
    assertThat(lines).filteredOn(l -> l.context().equals("asterline-settings"))
        .anySatisfy(l -> assertThat(l.args()).matches(".*Set\\(ASTERLINE_FALLBACK_TONE=[0-9+/,]+\\)"));
  }

  /**
   * Every failure path, inbound or outbound, plays the one apology the admin configures: ASTERLINE_FALLBACK_SOUND
   * through [asterline-announce] (with its generated tone when the file is missing), never a sound named in the
   * dialplan. Only voicemail names sounds of its own (vm-intro, vm-goodbye: Asterisk's core sounds, each checked).
   */
  @Test
  void everyApologyIsTheFallbackSoundThroughTheAnnouncement() {
    assertThat(lines).filteredOn(l -> l.context().equals("asterline-announce") && l.app().equals("Playback"))
        .singleElement().extracting(Line::args).isEqualTo("${ASTERLINE_FALLBACK_SOUND}");
    for (String context : List.of("asterline-failure", "asterline-outbound-fallback")) {
      List<Line> path = lines.stream().filter(l -> l.context().equals(context)).toList();
      assertThat(path).as(context).isNotEmpty()
          .anySatisfy(l -> assertThat(l.app() + "(" + l.args() + ")").isEqualTo("Gosub(asterline-announce,s,1)"))
          .noneSatisfy(l -> assertThat(l.app()).isIn("Playback", "PlayTones"));
    }
    for (Line line : lines) {
      if (line.app().equals("Playback") && !line.context().startsWith("asterline-voicemail")) {
        assertThat(line.args()).as("the Playback at %s plays a variable, not a sound named here", line.where())
            .matches("\\$\\{ASTERLINE_[A-Z_]+}");
      }
    }
    // the outbound failed extension runs on a dummy channel (nobody hears it): it plays nothing at all
    assertThat(lines).filteredOn(l -> l.context().equals("asterline-outbound") && l.exten().equals("failed"))
        .isNotEmpty()
        .noneSatisfy(l -> assertThat(l.app() + l.args()).containsAnyOf("Playback", "PlayTones", "announce"));
  }

  /** A dialplan line naming an application that is not loaded hangs the call up: optional ones are guarded. */
  @Test
  void optionalApplicationsRunOnlyWhenTheirModuleIsLoaded() {
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      if (OPTIONAL_APPS.contains(line.app())) {
        String module = "app_" + line.app().toLowerCase(java.util.Locale.ROOT) + ".so";
        assertThat(lines.subList(Math.max(0, i - 5), i)).as("a check of IFMODULE(%s) before %s", module, line.where())
            .anySatisfy(l -> assertThat(l.args()).contains("${IFMODULE(" + module + ")}"));
        assertThat(line.label()).as("the module check jumps to %s", line.where()).isNotNull();
      }
    }
  }

  @Test
  void everyJumpLandsSomewhere() {
    for (Line line : lines) {
      List<String> targets = new ArrayList<>();
      switch (line.app()) {
        case "Goto", "Gosub" -> targets.add(line.args());
        case "GotoIf" -> {
          String branches = line.args().substring(line.args().lastIndexOf("]?") + 2);
          targets.addAll(List.of(branches.split(":")));
        }
        default -> {
          continue;
        }
      }
      for (String target : targets) {
        String[] parts = target.split(",");
        String context = parts.length == 3 ? parts[0] : line.context();
        String exten = parts.length >= 2 ? parts[parts.length - 2] : line.exten();
        String priority = parts[parts.length - 1];
        assertThat(labels).as("context of %s at %s", target, line.where()).containsKey(context);
        assertThat(labels.get(context)).as("extension of %s at %s", target, line.where()).containsKey(exten);
        assertThat(labels.get(context).get(exten)).as("priority of %s at %s", target, line.where()).contains(priority);
      }
    }
  }

  @Test
  void theAgentLegUsesTheChannelDriverAndRecordsWholeCalls() {
    List<String> dials = lines.stream().filter(l -> l.app().equals("Dial") && l.args().startsWith("AudioSocket/"))
        .map(Line::args).toList();
    // one agent leg for both directions (asterline-agent-leg), through the channel driver
    assertThat(dials).hasSize(1)
        .allMatch(d -> d.equals("AudioSocket/${ASTERLINE_AUDIOSOCKET}/${ASTERLINE_CALL_ID}/c(slin),,g"));
    // the WebSocket transport keeps the trunk's ulaw, speaks JSON control messages and names the call in the URI
    assertThat(lines).filteredOn(l -> l.app().equals("Dial") && l.args().startsWith("WebSocket/")).isNotEmpty()
        .allSatisfy(l -> assertThat(l.args()).contains("/c(ulaw)f(json)v(call=${ASTERLINE_CALL_ID}),,g"));
    assertThat(lines).filteredOn(l -> l.app().equals("Gosub") && l.args().equals("asterline-agent-leg,s,1"))
        .extracting(Line::file).containsExactlyInAnyOrder("extensions_inbound.conf", "extensions_outbound.conf");
    // inbound's, and outbound's two: at the answer, or after the consent announcement when it must come first
    assertThat(lines).filteredOn(l -> l.args().contains("MixMonitor(")).hasSize(3)
        .allSatisfy(l -> assertThat(l.args()).endsWith("MixMonitor(${ASTERLINE_RECORDING})"));
    // an AGI line is always followed by a check of AGISTATUS
    for (int i = 0; i < lines.size(); i++) {
      Line line = lines.get(i);
      if (line.app().equals("AGI") && !line.context().equals("asterline-call-end")) {
        assertThat(lines.get(i + 1).args()).as("after %s", line.where()).contains("${AGISTATUS}");
      }
    }
  }

  /**
   * The tenant's recording-consent announcement comes before the agent's leg is dialled, in both directions; with
   * before_recording before MixMonitor starts, with after_recording after it; and [asterline-consent] reports it
   * only once the sound played.
   */
  @Test
  void theConsentAnnouncementPrecedesTheAgentAndTheRecordingAsTheTenantOrders() {
    List<Line> in = lines.stream().filter(l -> l.context().equals("from-trunk") && l.exten().equals("s")).toList();
    int answer = indexOf(in, l -> l.app().equals("Answer"));
    int firstConsent = indexOf(in, l -> isConsent(l));
    int record = indexOf(in, l -> l.args().contains("MixMonitor("));
    int secondConsent = record + 1 + indexOf(in.subList(record + 1, in.size()), l -> isConsent(l));
    int agent = indexOf(in, l -> l.app().equals("Gosub") && l.args().equals("asterline-agent-leg,s,1"));
    assertThat(answer).isLessThan(firstConsent);
    assertThat(firstConsent).isLessThan(record);
    assertThat(record).isLessThan(secondConsent);
    assertThat(secondConsent).isLessThan(agent);
    // before MixMonitor: skipped without a sound, or when the tenant wants it on the recording
    assertThat(in.get(firstConsent - 1).args()).contains("\"${ASTERLINE_CONSENT_SOUND}\" = \"\"")
        .contains("\"${ASTERLINE_CONSENT_ORDER}\" = \"after_recording\"").endsWith("?record");
    assertThat(in.get(record).label()).isEqualTo("record");
    // after MixMonitor: only for after_recording
    assertThat(in.get(secondConsent - 1).args()).contains("\"${ASTERLINE_CONSENT_SOUND}\" = \"\"")
        .contains("\"${ASTERLINE_CONSENT_ORDER}\" != \"after_recording\"").endsWith("?agent");
    assertThat(in.get(agent).label()).isEqualTo("agent");
    // nothing between the answer and the agent's leg dials anyone
    assertThat(in.subList(answer, agent)).noneMatch(l -> l.app().equals("Dial"));

    List<Line> out = lines.stream().filter(l -> l.context().equals("asterline-outbound") && l.exten().equals("s"))
        .toList();
    int atAnswer = indexOf(out, l -> l.args().contains("MixMonitor("));
    int amd = indexOf(out, l -> l.app().equals("AMD"));
    int outConsent = indexOf(out, l -> isConsent(l));
    int laterRecord = outConsent + 1 + indexOf(out.subList(outConsent + 1, out.size()),
        l -> l.args().contains("MixMonitor("));
    int outAgent = indexOf(out, l -> l.app().equals("Gosub") && l.args().equals("asterline-agent-leg,s,1"));
    // the recording at the answer (AMD phase included) waits when the announcement must come first
    assertThat(atAnswer).isLessThan(amd);
    assertThat(out.get(atAnswer).args()).contains("\"${ASTERLINE_CONSENT_ORDER}\" != \"before_recording\"");
    assertThat(amd).isLessThan(outConsent);
    assertThat(outConsent).isLessThan(laterRecord);
    assertThat(laterRecord).isLessThan(outAgent);
    // that later MixMonitor runs only when none started at the answer
    assertThat(out.get(laterRecord).args()).contains("\"${MIXMONITOR_FILENAME}\" = \"\"");
    assertThat(out.get(outConsent - 1).label()).isEqualTo("agent");

    List<Line> consent = lines.stream().filter(l -> l.context().equals("asterline-consent")).toList();
    assertThat(consent).extracting(Line::file).containsOnly("extensions_consent.conf");
    assertThat(consent).extracting(Line::app).containsSubsequence("Playback", "GotoIf", "AGI", "Return");
    assertThat(consent.get(0).args()).isEqualTo("${ASTERLINE_CONSENT_SOUND}");
    assertThat(consent.get(1).args()).contains("${PLAYBACKSTATUS}").endsWith("?missing");
    assertThat(consent).filteredOn(l -> l.app().equals("AGI")).singleElement().extracting(Line::args)
        .isEqualTo("${ASTERLINE_AGI}/" + ConsentAnnouncedScript.NAME + ",${ASTERLINE_CALL_ID}");
    assertThat(consent).noneMatch(l -> l.app().equals("Dial") || l.app().equals("Hangup"));
  }

  private static boolean isConsent(Line l) {
    return l.app().equals("Gosub") && l.args().equals("asterline-consent,s,1");
  }

  @Test
  void voicemailIsAsterlinesOwnAndTheCallerNeverHearsSilence() {
    // no app_voicemail and no voicemail.conf mailbox: both ways into voicemail go to the one context
    assertThat(lines).noneMatch(l -> l.app().equalsIgnoreCase("VoiceMail") || l.args().contains("VoiceMail("));
    assertThat(lines).filteredOn(l -> l.args().startsWith("asterline-voicemail,"))
        .allSatisfy(l -> assertThat(l.app() + "(" + l.args() + ")").isEqualTo("Goto(asterline-voicemail,s,1)"))
        .allSatisfy(l -> assertThat(l.label()).isEqualTo("voicemail"))
        .extracting(Line::context).containsExactlyInAnyOrder("from-trunk", "asterline-after-agent");

    List<Line> vm = lines.stream().filter(l -> l.context().equals("asterline-voicemail")).toList();
    int greeting = indexOf(vm, l -> l.app().equals("Playback") && l.args().equals("${ASTERLINE_VOICEMAIL_GREETING}"));
    // a greeting that cannot be played (PLAYBACKSTATUS FAILED) never leads straight to Record: the fallback
    // greeting, then generated tones, stand between
    assertThat(vm.get(greeting + 1).app()).isEqualTo("GotoIf");
    assertThat(vm.get(greeting + 1).args()).contains("${PLAYBACKSTATUS}").contains("\"SUCCESS\"").endsWith("?beep");
    int noGreeting = indexOf(vm, l -> "no-greeting".equals(l.label()));
    assertThat(vm.get(noGreeting).app()).isEqualTo("PlayTones");
    assertThat(vm.get(noGreeting).args()).matches("\\d+/\\d+(,\\d+/\\d+)*");
    assertThat(noGreeting).isGreaterThan(greeting + 1);
    for (int i = greeting + 1; i < noGreeting; i++) {
      Line l = vm.get(i);
      // between the greeting and the pips: only the log, the fallback greeting and jumps to the beep or the pips
      assertThat(l.app()).as("at %s", l.where()).isIn("GotoIf", "Log", "Playback");
      if (l.app().equals("GotoIf")) {
        assertThat(l.args()).as("at %s", l.where()).matches(".*\\?(beep|no-greeting)");
      }
    }
    int beep = indexOf(vm, l -> "beep".equals(l.label()));
    assertThat(vm.get(beep).app()).isEqualTo("PlayTones");
    assertThat(vm.get(beep).args()).isEqualTo("1000/500");
    assertThat(vm.get(beep + 1).app()).isEqualTo("Wait");
    assertThat(vm.get(beep + 2).app()).isEqualTo("StopPlayTones");

    int record = indexOf(vm, l -> l.app().equals("Record"));
    assertThat(record).isGreaterThan(beep);
    // q: the beep is ours, k: a caller who hangs up keeps the message; silence and length from the settings
    assertThat(vm.get(record).args()).isEqualTo(
        "${ASTERLINE_VOICEMAIL_FILE},${ASTERLINE_VOICEMAIL_SILENCE},${ASTERLINE_VOICEMAIL_MAX_SECONDS},qk");
    // the hangup handler that reports a message ended by hanging up is pushed before Record
    assertThat(vm.get(record - 1).args()).isEqualTo("CHANNEL(hangup_handler_push)=asterline-voicemail-done,s,1");
    assertThat(vm.get(record + 1).args()).contains("${RECORD_STATUS}").endsWith("?asterline-failure,s,1");
    assertThat(vm.get(record + 2).args()).isEqualTo("asterline-voicemail-done,s,1");
    assertThat(vm.get(record + 3).args()).contains("${AGISTATUS}").endsWith("?asterline-failure,s,1");
    assertThat(vm.get(record + 4).args()).contains("${ASTERLINE_STATUS}").endsWith("?asterline-failure,s,1");

    List<Line> done = lines.stream().filter(l -> l.context().equals("asterline-voicemail-done")).toList();
    assertThat(done).anySatisfy(l -> assertThat(l.args()).isEqualTo("${ASTERLINE_AGI}/voicemail-done,"
        + "${ASTERLINE_CALL_ID},${ASTERLINE_VOICEMAIL_FILE},${RECORD_STATUS},${RECORDING_INFO(duration)}"));
    assertThat(done.get(done.size() - 1).app()).isEqualTo("Return");
  }

  private static int indexOf(List<Line> lines, java.util.function.Predicate<Line> which) {
    for (int i = 0; i < lines.size(); i++) {
      if (which.test(lines.get(i))) {
        return i;
      }
    }
    throw new AssertionError("no such line in " + lines.get(0).context());
  }

  @Test
  void everyAsterlineVariableIsKnownAndDocumented() throws Exception {
    Set<String> outputs = new TreeSet<>();
    for (Field f : AgiVariables.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.get(null) instanceof String s && s.startsWith("ASTERLINE_")) {
        outputs.add(s);
      }
    }
    Set<String> settings = new TreeSet<>();
    lines.stream().filter(l -> l.context().equals("asterline-settings"))
        .forEach(l -> {
          Matcher m = Pattern.compile("Set\\((ASTERLINE_[A-Z_]+)=").matcher(l.args());
          if (m.find()) {
            settings.add(m.group(1));
          }
        });
    settings.add("ASTERLINE_FALLBACK_DIAL"); // optional, no default
    settings.add("ASTERLINE_AGI_BACKUP"); // optional, no default
    settings.add("ASTERLINE_WEBSOCKET_BACKUP"); // optional, no default
    // what an outbound call's Originate sets on the channel (documented in extensions_outbound.conf)
    Set<String> originate = new TreeSet<>(List.of(AgiVariables.CALL_ID, AgiVariables.TENANT_ID,
        AgiVariables.DIRECTION, AgiVariables.AUDIOSOCKET, AgiVariables.TRUNK, AgiVariables.RECORDING,
        AgiVariables.TRANSFER_NUMBER, AgiVariables.AUDIO_FILE));
    Set<String> used = new TreeSet<>();
    for (Line line : lines) {
      Matcher m = VARIABLE.matcher(line.args());
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    Set<String> known = new TreeSet<>(outputs);
    known.addAll(settings);
    known.addAll(INTERNAL);
    known.addAll(originate);
    assertThat(known).containsAll(used);

    String scripts = Files.readString(Path.of("agi-scripts/README.md"));
    String dialplan = Files.readString(DIR.resolve("README.md"));
    for (String output : outputs) {
      assertThat(scripts).as("agi-scripts/README.md documents %s", output).contains("`" + output + "`");
    }
    for (String setting : settings) {
      assertThat(dialplan).as("dialplan/README.md documents %s", setting).contains("`" + setting + "`");
    }
    for (String internal : INTERNAL) {
      assertThat(dialplan).as("dialplan/README.md documents %s", internal).contains("`" + internal + "`");
    }
    String outbound = Files.readString(DIR.resolve("extensions_outbound.conf"));
    for (String variable : originate) {
      assertThat(outbound).as("extensions_outbound.conf documents %s", variable).contains(variable);
    }
    for (AgiStatus status : AgiStatus.values()) {
      assertThat(scripts).as("agi-scripts/README.md documents status %s", status).contains("`" + status + "`");
    }
  }

  private static boolean balanced(String line) {
    int paren = 0;
    int bracket = 0;
    int brace = 0;
    for (char c : line.toCharArray()) {
      switch (c) {
        case '(' -> paren++;
        case ')' -> paren--;
        case '[' -> bracket++;
        case ']' -> bracket--;
        case '{' -> brace++;
        case '}' -> brace--;
        default -> { }
      }
      if (paren < 0 || bracket < 0 || brace < 0) {
        return false;
      }
    }
    return paren == 0 && bracket == 0 && brace == 0;
  }
}
