package dev.quire.gateway.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * The address a request came from, for counting failed sign-ins per client: the connection's, or,
 * when the connection is from a proxy listed in {@code quire.gateway.http.trusted-proxies}, the
 * last address in {@code X-Forwarded-For} that is not itself such a proxy (each proxy appends the
 * address it was reached from, so the ones before a trusted proxy's entry are the client's to
 * write, and not believed). Behind a proxy that is not listed every visitor has the proxy's
 * address, and twenty wrong sign-ins by anyone kept everyone out.
 */
public final class ClientAddress {

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /** A network: an address and how many leading bits of it count. */
  private record Network(byte[] address, int bits) {
    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != address.length) {
        return false;
      }
      int whole = bits / 8;
      for (int i = 0; i < whole; i++) {
        if (b[i] != address[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (b[whole] & mask) == (address[whole] & mask);
    }
  }

  private final List<Network> trusted;

  private ClientAddress(List<Network> trusted) {
    this.trusted = List.copyOf(trusted);
  }

  /** From {@code quire.gateway.http.trusted-proxies}: a list, or a comma-separated string. */
  public static ClientAddress fromConfig(Config config) {
    return new ClientAddress(networks(config, "quire.gateway.http.trusted-proxies"));
  }

  /**
   * Whether an address is in one of the networks (addresses, or {@code a.b.c.d/n}) listed at {@code
   * key}: a list, or a comma-separated string (from the environment).
   */
  public static java.util.function.Predicate<InetAddress> anyOf(Config config, String key) {
    List<Network> networks = networks(config, key);
    return a -> networks.stream().anyMatch(n -> n.contains(a));
  }

  private static List<Network> networks(Config config, String key) {
    List<String> entries = new ArrayList<>();
    if (config.getValue(key).valueType() == ConfigValueType.STRING) {
      for (String e : config.getString(key).split(",")) {
        if (!e.isBlank()) {
          entries.add(e.strip());
        }
      }
    } else {
      entries.addAll(config.getStringList(key));
    }
    List<Network> networks = new ArrayList<>();
    for (String e : entries) {
      networks.add(network(key, e));
    }
    return networks;
  }

  private static Network network(String key, String entry) {
    int slash = entry.indexOf('/');
    String host = slash < 0 ? entry : entry.substring(0, slash);
    InetAddress a =
        literal(host)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        key + ": '" + entry + "' is not an IP address or network (a.b.c.d/n)"));
    int max = a.getAddress().length * 8;
    int bits = max;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(entry.substring(slash + 1));
      } catch (NumberFormatException e) {
        bits = -1;
      }
      if (bits < 0 || bits > max) {
        throw new IllegalArgumentException(
            key + ": '" + entry + "' has a prefix length outside 0 to " + max);
      }
    }
    return new Network(a.getAddress(), bits);
  }

  /** An IP address written as one, never looked up as a name. */
  static Optional<InetAddress> literal(String s) {
    String t = s.strip();
    if (t.startsWith("[") && t.endsWith("]")) {
      t = t.substring(1, t.length() - 1);
    }
    if (!(IPV4.matcher(t).matches() || IPV6.matcher(t).matches()) || t.length() > 45) {
      return Optional.empty();
    }
    if (IPV4.matcher(t).matches()) {
      // 999.1.1.1 is no literal to the JDK, which would then look it up as a name.
      for (String octet : t.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return Optional.empty();
        }
      }
    }
    try {
      return Optional.of(InetAddress.getByName(t));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  boolean isTrusted(InetAddress a) {
    return trusted.stream().anyMatch(n -> n.contains(a));
  }

  /** The client's address; empty when the connection's is unknown. */
  public Optional<InetAddress> of(HttpRequest request) {
    Optional<InetAddress> peer =
        request.getAttribute(AttributeKeys.remoteAddress).flatMap(a -> a.getAddress());
    if (peer.isEmpty()) {
      return peer;
    }
    InetAddress client = peer.get();
    if (isTrusted(client)) {
      List<String> hops = new ArrayList<>();
      for (HttpHeader h : request.getHeaders()) {
        if (h.lowercaseName().equals("x-forwarded-for")) {
          for (String hop : h.value().split(",")) {
            hops.add(hop.strip());
          }
        }
      }
      for (int i = hops.size() - 1; i >= 0; i--) {
        Optional<InetAddress> hop = literal(hops.get(i));
        if (hop.isEmpty()) {
          break; // not an address: what comes before it is not to be believed either
        }
        client = hop.get();
        if (!isTrusted(client)) {
          break;
        }
      }
    }
    return Optional.of(client);
  }
}
