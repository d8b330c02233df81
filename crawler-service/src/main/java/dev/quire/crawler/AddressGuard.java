package dev.quire.crawler;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Dns;
import okhttp3.HttpUrl;

/**
 * The crawler's DNS: a host that resolves to a loopback, link-local, private, unique-local,
 * carrier-grade NAT, multicast or unspecified address is refused unless it is allowed. OkHttp
 * connects only to the addresses this returns, for the first request and every redirect alike, so a
 * name cannot pass the check and then connect somewhere else (no DNS rebinding gap).
 *
 * <p>Two kinds of allowance. A host the operator names ({@code --allow-host}, {@code
 * quire.crawler.allow-hosts}) is allowed on any port. The site being crawled is allowed as an
 * origin only, scheme, host and port ({@link #allowsOrigin}): a request to it goes through {@link
 * #trusting()}, every other request through this guard. Allowing the site's host by name (as this
 * did) let a link or a redirect from any page reach every other port of that host, e.g. {@code
 * http://localhost:5432/} when the site is {@code http://localhost:8080}.
 */
public final class AddressGuard implements Dns {

  /**
   * A host the guard refused; the message names the host, not the address: it ends up in reports
   * that editors read, and would map the network's private names to addresses for them.
   */
  public static final class Blocked extends UnknownHostException {
    public Blocked(String host, InetAddress address) {
      super(
          host
              + " resolves to a private or local address; allow it with --allow-host "
              + host
              + " (or quire.crawler.allow-hosts)");
    }
  }

  private final Set<String> allowed;
  private final Set<String> allowedOrigins;
  private final Dns dns;

  public AddressGuard(Set<String> allowedHosts) {
    this(allowedHosts, Set.of());
  }

  /** {@code allowedOrigins}: URLs whose {@link #origin} may be private (the site being crawled). */
  public AddressGuard(Set<String> allowedHosts, Set<String> allowedOrigins) {
    this(allowedHosts, allowedOrigins, Dns.SYSTEM);
  }

  AddressGuard(Set<String> allowedHosts, Dns dns) {
    this(allowedHosts, Set.of(), dns);
  }

  AddressGuard(Set<String> allowedHosts, Set<String> allowedOrigins, Dns dns) {
    this.allowed =
        allowedHosts.stream()
            .map(h -> h.toLowerCase(Locale.ROOT))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
    this.allowedOrigins =
        allowedOrigins.stream()
            .map(AddressGuard::origin)
            .filter(java.util.Objects::nonNull)
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
    this.dns = dns;
  }

  /** Whether the operator allowed {@code host} by name, on any port. */
  public boolean allows(String host) {
    return allowed.contains(host.toLowerCase(Locale.ROOT));
  }

  /** Whether {@code url}'s origin (scheme, host, port) is one this guard was given. */
  public boolean allowsOrigin(HttpUrl url) {
    return allowedOrigins.contains(origin(url));
  }

  /**
   * {@code scheme://host:port} of an http(s) URL, lower case, with the scheme's port when the URL
   * names none; null for anything else.
   */
  public static String origin(String url) {
    HttpUrl u = url == null ? null : HttpUrl.parse(url);
    return u == null ? null : origin(u);
  }

  static String origin(HttpUrl u) {
    return u.scheme() + "://" + u.host() + ":" + u.port();
  }

  /**
   * The resolver without the check, for requests to an allowed origin only (see the class comment):
   * the client that uses it must be chosen per URL by {@link #allowsOrigin}.
   */
  public Dns trusting() {
    return dns;
  }

  @Override
  public List<InetAddress> lookup(String hostname) throws UnknownHostException {
    List<InetAddress> addresses = dns.lookup(hostname);
    if (allows(hostname)) {
      return addresses;
    }
    for (InetAddress a : addresses) {
      if (!isPublic(a)) {
        throw new Blocked(hostname, a);
      }
    }
    return addresses;
  }

  /**
   * OkHttp connects to an IP literal without asking the DNS, so a URL with one is checked here
   * before the request: the same rule, the same refusal. An allowed origin passes.
   */
  public void checkLiteral(HttpUrl url) throws Blocked {
    if (!allowsOrigin(url)) {
      checkLiteral(url.host());
    }
  }

  /** As {@link #checkLiteral(HttpUrl)}, for a host allowed by name only. */
  public void checkLiteral(String host) throws Blocked {
    if (allows(host) || !isIpLiteral(host)) {
      return;
    }
    try {
      InetAddress a = InetAddress.getByName(host); // a literal: parsed, not resolved
      if (!isPublic(a)) {
        throw new Blocked(host, a);
      }
    } catch (Blocked b) {
      throw b;
    } catch (UnknownHostException e) {
      // not a literal after all: the DNS path checks it
    }
  }

  static boolean isIpLiteral(String host) {
    return host.contains(":") || host.matches("[0-9.]+");
  }

  /** True for an address on the public internet. */
  public static boolean isPublic(InetAddress a) {
    if (a.isLoopbackAddress()
        || a.isLinkLocalAddress()
        || a.isSiteLocalAddress()
        || a.isAnyLocalAddress()
        || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      return !(first == 0 // "this" network
          || (first == 100 && second >= 64 && second <= 127) // carrier-grade NAT
          || (first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
          || (first == 198 && (second == 18 || second == 19)) // benchmarking
          || first >= 240); // reserved, broadcast
    }
    if (a instanceof Inet6Address six) {
      if (six.isIPv4CompatibleAddress()) {
        return false;
      }
      int first = b[0] & 0xff;
      if ((first & 0xfe) == 0xfc) { // fc00::/7 unique local
        return false;
      }
      // ::ffff:a.b.c.d, an IPv4 address in IPv6 clothing
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
        return embeddedIsPublic(b, 12);
      }
      int second = b[1] & 0xff;
      // 64:ff9b::/96 (NAT64) and 64:ff9b:1::/48 (local NAT64): a gateway translates them to the
      // IPv4 address in the last 32 bits, which must be public too.
      if (first == 0x00 && second == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
        return embeddedIsPublic(b, 12);
      }
      // 2002::/16 (6to4): the IPv4 address follows the prefix.
      if (first == 0x20 && second == 0x02) {
        return embeddedIsPublic(b, 2);
      }
      // 2001::/32 (Teredo): a tunnel to an obscured IPv4 address; nothing a site links to.
      if (first == 0x20 && second == 0x01 && b[2] == 0 && b[3] == 0) {
        return false;
      }
    }
    return true;
  }

  /** Whether the IPv4 address at {@code b[from..from+4)} is public. */
  private static boolean embeddedIsPublic(byte[] b, int from) {
    try {
      return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, from, from + 4)));
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
