package io.asterline.agi;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiHangupException;
import org.asteriskjava.fastagi.AgiRequest;

/**
 * A map-backed channel for script unit tests: GET VARIABLE answers from the map, SET VARIABLE and EXEC MSet
 * are recorded in order. Any other AGI command fails the test, since our scripts must not send them. It can
 * hang up after a number of commands, as Asterisk's 511 on a dead channel does.
 */
final class FakeChannel {

  final Map<String, String> variables = new HashMap<>();
  final Map<String, String> set = new LinkedHashMap<>();
  final List<String> setOrder = new ArrayList<>();
  private int hangupAfterCommands = Integer.MAX_VALUE;
  private int commands;

  FakeChannel variable(String name, String value) {
    variables.put(name, value);
    return this;
  }

  FakeChannel hangupAfterCommands(int n) {
    hangupAfterCommands = n;
    return this;
  }

  AgiChannel channel() {
    return (AgiChannel) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {AgiChannel.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getVariable" -> variables.get((String) args[0]);
          case "setVariable" -> {
            if (commands++ >= hangupAfterCommands) {
              throw new AgiHangupException();
            }
            record((String) args[0], (String) args[1]);
            yield null;
          }
          case "exec" -> {
            if (commands++ >= hangupAfterCommands) {
              throw new AgiHangupException();
            }
            if (!"MSet".equals(args[0])) {
              throw new AssertionError("scripts must not run " + args[0]);
            }
            for (String pair : ResAgi.appArgs(String.join(",", (String[]) args[1]))) {
              int eq = pair.indexOf('=');
              record(pair.substring(0, eq), pair.substring(eq + 1));
            }
            yield 0;
          }
          case "toString" -> "FakeChannel";
          default -> throw new AssertionError("scripts must not send " + method.getName());
        });
  }

  private void record(String name, String value) {
    set.put(name, value);
    setOrder.add(name);
    variables.put(name, value);
  }

  /** An AGI request with these arguments and agi_* fields (extension, dnid, callerid, uniqueid, channel). */
  static AgiRequest request(String script, Map<String, String> env, String... arguments) {
    return (AgiRequest) Proxy.newProxyInstance(FakeChannel.class.getClassLoader(), new Class<?>[] {AgiRequest.class},
        (proxy, method, args) -> switch (method.getName()) {
          case "getScript" -> script;
          case "getRequestURL" -> "agi://127.0.0.1/" + script;
          case "getArguments" -> arguments.clone();
          case "getExtension" -> env.getOrDefault("extension", "s");
          case "getDnid" -> env.get("dnid");
          case "getCallerIdNumber" -> env.get("callerid");
          case "getUniqueId" -> env.getOrDefault("uniqueid", "1763700000.9");
          case "getChannel" -> env.getOrDefault("channel", "PJSIP/trunk-00000009");
          case "toString" -> "FakeRequest[" + script + "]";
          default -> throw new AssertionError("scripts must not read " + method.getName());
        });
  }
}
