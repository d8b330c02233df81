package dev.quire.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import dev.quire.gateway.admin.PasswordHasher;
import dev.quire.protocol.Role;
import java.io.Console;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quire user list|add|passwd|set|sign-out|token}: the admin's users from the command line,
 * for a running site ({@code --server}, through {@code /api/v1/users}) or a stopped one (a content
 * node in this process on the data directory). The way back in when no admin can sign in: {@code
 * quire user passwd admin} sets a new password and clears the account's lockout.
 */
@Command(
    name = "user",
    description =
        "The admin's users: list, add, set a password, change a role or disable, sign out, and"
            + " their API tokens.",
    subcommands = {
      UserCommand.ListUsers.class,
      UserCommand.Add.class,
      UserCommand.Passwd.class,
      UserCommand.Set.class,
      UserCommand.SignOut.class,
      UserCommand.Tokens.class
    })
final class UserCommand implements Runnable {

  static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Where a password comes from: a file's first line, else the terminal, asked twice. */
  static final class PasswordOptions {
    @Option(
        names = "--password-file",
        paramLabel = "FILE",
        description = "Read the password from the first line of FILE (else it is asked for).")
    Path file;

    String read() throws Exception {
      if (file != null) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || lines.get(0).isEmpty()) {
          throw new Refused("password", file + " is empty");
        }
        return lines.get(0);
      }
      Console console = System.console();
      if (console == null) {
        throw new Refused("password", "no terminal to ask on: pass --password-file FILE");
      }
      char[] first = console.readPassword("New password: ");
      char[] again = console.readPassword("Again: ");
      if (first == null || again == null || !new String(first).equals(new String(again))) {
        throw new Refused("password", "the two passwords differ");
      }
      return new String(first);
    }
  }

  abstract static class Base implements Callable<Integer> {
    @Mixin SiteOptions site = new SiteOptions();

    abstract void run(Users users) throws Exception;

    /** Whether the command may start a site where there is none (adding its first account). */
    boolean mayStartASite() {
      return false;
    }

    @Override
    public Integer call() throws Exception {
      if (!mayStartASite() && site.noSiteThere()) {
        return 2;
      }
      try (Users users = Users.open(site)) {
        run(users);
        return 0;
      } catch (Refused e) {
        System.err.println("error: " + e.field + ": " + e.getMessage());
        return 2;
      } catch (QuireNode.DataDirLocked e) {
        System.err.println("error: " + e.getMessage());
        return 3;
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the users.")
  static final class ListUsers extends Base {
    @Override
    void run(Users users) throws Exception {
      List<JsonNode> all = users.list();
      if (all.isEmpty()) {
        System.err.println(
            "no users yet: add the first admin with quire user add NAME --role admin");
      }
      for (JsonNode u : all) {
        System.out.printf(
            "%-24s %-7s %-8s %s%n",
            u.path("username").asText(),
            u.path("role").asText(),
            u.path("disabled").asBoolean() ? "disabled" : "active",
            u.path("displayName").asText());
      }
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a user.")
  static final class Add extends Base {
    @Override
    boolean mayStartASite() {
      return true; // the first admin, made before the site's first start
    }

    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Option(names = "--role", required = true, description = "author, editor or admin.")
    String role;

    @Option(names = "--name", paramLabel = "NAME", description = "The name shown.")
    String displayName;

    @Mixin PasswordOptions password = new PasswordOptions();

    @Override
    void run(Users users) throws Exception {
      ObjectNode body = JSON.createObjectNode();
      body.put("username", username).put("role", role).put("password", password.read());
      if (displayName != null) {
        body.put("displayName", displayName);
      }
      JsonNode u = users.add(body);
      System.out.println(
          "Added " + u.path("username").asText() + " (" + u.path("role").asText() + ").");
    }
  }

  @Command(
      name = "passwd",
      mixinStandardHelpOptions = true,
      description = {
        "Set a user's password: their sessions end and their sign-in lockout is cleared."
      })
  static final class Passwd extends Base {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Mixin PasswordOptions password = new PasswordOptions();

    @Override
    void run(Users users) throws Exception {
      ObjectNode body = JSON.createObjectNode().put("password", password.read());
      users.change(username, body);
      System.out.println("Set a new password for " + username + ".");
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = "Change a user's role, name or state (their sessions end).")
  static final class Set extends Base {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Option(names = "--role", description = "author, editor or admin.")
    String role;

    @Option(names = "--name", paramLabel = "NAME", description = "The name shown.")
    String displayName;

    @Option(
        names = "--disabled",
        arity = "1",
        paramLabel = "true|false",
        description = "Disable (true) or enable (false).")
    Boolean disabled;

    @Override
    void run(Users users) throws Exception {
      ObjectNode body = JSON.createObjectNode();
      if (role != null) {
        body.put("role", role);
      }
      if (displayName != null) {
        body.put("displayName", displayName);
      }
      if (disabled != null) {
        body.put("disabled", disabled);
      }
      JsonNode u = users.change(username, body);
      System.out.println(
          u.path("username").asText()
              + ": "
              + u.path("role").asText()
              + (u.path("disabled").asBoolean() ? ", disabled" : ", active"));
    }
  }

  /** A refusal, naming the field, as the API or the user directory gave it. */
  static final class Refused extends Exception {
    final String field;

    Refused(String field, String message) {
      super(message);
      this.field = field;
    }
  }

  @Command(
      name = "sign-out",
      mixinStandardHelpOptions = true,
      description = "End every admin session of a user, on every gateway (nothing else changes).")
  static final class SignOut extends Base {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Override
    void run(Users users) throws Exception {
      users.endSessions(username);
      System.out.println("Ended every session of " + username + ".");
    }
  }

  @Command(
      name = "token",
      description =
          "A user's own API tokens: each acts for the user, with their role, until revoked or the"
              + " user is disabled.",
      subcommands = {TokenAdd.class, TokenList.class, TokenRevoke.class})
  static final class Tokens implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(System.out);
    }
  }

  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description =
          "Make an API token for a user. The token alone goes to standard output (shown this once:"
              + " keep it), so that TOKEN=$(quire user token add ...) takes it.")
  static final class TokenAdd extends Base {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Option(
        names = "--name",
        required = true,
        paramLabel = "NAME",
        description = "What it is for (a script, a build), 1 to 100 characters.")
    String name;

    @Option(
        names = "--expires-in-days",
        paramLabel = "DAYS",
        description = "Refused from DAYS days on (else it lasts until revoked).")
    Integer days;

    @Override
    void run(Users users) throws Exception {
      long most = dev.quire.protocol.UserCommand.MAX_TOKEN_LIFE.toDays();
      if (days != null && (days < 1 || days > most)) {
        // (99999999 was refused by the directory naming the year 275817, not the flag.)
        throw new Refused(
            "--expires-in-days", "must be 1 to " + most + " (a century), was " + days);
      }
      java.time.Instant expiresAt =
          days == null
              ? null
              : java.time.Instant.now()
                  .plus(java.time.Duration.ofDays(days))
                  .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      JsonNode t = users.addToken(username, name, expiresAt);
      System.err.println(
          "Made API token "
              + t.path("id").asText()
              + " ("
              + t.path("name").asText()
              + ") for "
              + username
              + ". It is shown this once:");
      System.out.println(t.path("token").asText());
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List a user's API tokens.")
  static final class TokenList extends Base {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Override
    void run(Users users) throws Exception {
      for (JsonNode t : users.tokens(username)) {
        System.out.printf(
            "%-16s %-20s %-8s %-20s %-20s %s%n",
            t.path("id").asText(),
            seconds(t.path("createdAt")),
            t.path("createdBy").asText(),
            seconds(t.path("expiresAt")),
            seconds(t.path("lastUsed")),
            t.path("name").asText());
      }
    }

    /** A time to the second, so that the columns line up; "never" for none. */
    private static String seconds(JsonNode time) {
      if (!time.isTextual()) {
        return "never";
      }
      try {
        return java.time.Instant.parse(time.asText())
            .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
            .toString();
      } catch (java.time.format.DateTimeParseException e) {
        return time.asText();
      }
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke one of a user's API tokens: refused from then on, on every gateway.")
  static final class TokenRevoke extends Base {
    @Parameters(index = "0", paramLabel = "USERNAME")
    String username;

    @Parameters(index = "1", paramLabel = "ID", description = "The token's id, as listed.")
    String id;

    @Override
    void run(Users users) throws Exception {
      users.revokeToken(username, id);
      System.out.println("Revoked API token " + id + " of " + username + ".");
    }
  }

  /** The users of a running site (the API) or of a stopped one (the entity, in this process). */
  abstract static class Users implements AutoCloseable {
    /**
     * A new token of {@code username} ({@code expiresAt} null: never): {@code id, name, createdAt,
     * createdBy, expiresAt, token}.
     */
    abstract JsonNode addToken(String username, String name, java.time.Instant expiresAt)
        throws Exception;

    /**
     * {@code username}'s tokens, oldest first: {@code id, name, createdAt, createdBy, expiresAt,
     * lastUsed}.
     */
    abstract List<JsonNode> tokens(String username) throws Exception;

    abstract void revokeToken(String username, String id) throws Exception;

    abstract List<JsonNode> list() throws Exception;

    /** {@code body}: the API's fields ({@code username, role, password, displayName}). */
    abstract JsonNode add(ObjectNode body) throws Exception;

    /** {@code body}: the API's fields to change ({@code role, displayName, disabled, password}). */
    abstract JsonNode change(String username, ObjectNode body) throws Exception;

    /** Ends every session of {@code username}. */
    abstract JsonNode endSessions(String username) throws Exception;

    @Override
    public void close() throws Exception {}

    static Users open(SiteOptions site) throws Exception {
      Config config = QuireNode.config(site.overrides());
      if (site.server != null) {
        if (site.token() == null) {
          throw new Refused("--token", "--server needs --token (or QUIRE_API_TOKEN)");
        }
        return new Remote(config, site.server, site.token());
      }
      return new Local(config);
    }
  }

  static final class Remote extends Users {
    private final String base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    Remote(Config config, String server, String token) throws Refused {
      String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
      if (!s.startsWith("http://") && !s.startsWith("https://")) {
        throw new Refused("--server", "must be an http(s) URL, was " + server);
      }
      if (s.startsWith("http://") && !loopback(s)) {
        System.err.println(
            "warning: --server is plain http: the API token and any password travel unencrypted;"
                + " use https for a site on another machine");
      }
      this.base = s + "/api/v1/users";
      this.token = token;
      this.timeout = config.getDuration("quire.cli.ask-timeout");
      this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    List<JsonNode> list() throws Exception {
      List<JsonNode> out = new ArrayList<>();
      send("GET", "", null).path("items").forEach(out::add);
      return out;
    }

    @Override
    JsonNode add(ObjectNode body) throws Exception {
      return send("POST", "", body);
    }

    @Override
    JsonNode change(String username, ObjectNode body) throws Exception {
      return send("PUT", "/" + java.net.URLEncoder.encode(username, StandardCharsets.UTF_8), body);
    }

    @Override
    JsonNode endSessions(String username) throws Exception {
      return send(
          "DELETE",
          "/" + java.net.URLEncoder.encode(username, StandardCharsets.UTF_8) + "/sessions",
          null);
    }

    @Override
    JsonNode addToken(String username, String name, java.time.Instant expiresAt) throws Exception {
      ObjectNode body = JSON.createObjectNode().put("name", name);
      if (expiresAt != null) {
        body.put("expiresAt", expiresAt.toString());
      }
      return send("POST", tokensPath(username), body);
    }

    @Override
    List<JsonNode> tokens(String username) throws Exception {
      List<JsonNode> out = new ArrayList<>();
      send("GET", tokensPath(username), null).path("items").forEach(out::add);
      return out;
    }

    @Override
    void revokeToken(String username, String id) throws Exception {
      send(
          "DELETE",
          tokensPath(username) + "/" + java.net.URLEncoder.encode(id, StandardCharsets.UTF_8),
          null);
    }

    private static String tokensPath(String username) {
      return "/" + java.net.URLEncoder.encode(username, StandardCharsets.UTF_8) + "/tokens";
    }

    private JsonNode send(String method, String path, ObjectNode body) throws Exception {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(timeout)
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json");
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
      HttpResponse<String> r;
      try {
        r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      } catch (java.io.IOException e) {
        throw new Refused("--server", "no answer from " + base + ": " + e);
      }
      JsonNode answer;
      try {
        answer = JSON.readTree(r.body());
      } catch (Exception e) {
        answer = null;
      }
      boolean ok = r.statusCode() / 100 == 2;
      if (ok && answer != null && !answer.isMissingNode()) {
        return answer;
      }
      if (r.statusCode() == 204) {
        return JSON.createObjectNode();
      }
      JsonNode err =
          answer == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : answer;
      String field = err.path("error").path("field").asText("");
      String message = err.path("error").path("message").asText("");
      if (message.isEmpty()) {
        // Not the API's JSON error: say what answered, and how, rather than print nothing.
        message =
            method
                + " "
                + base
                + path
                + " answered "
                + r.statusCode()
                + (r.statusCode() == 401 ? " (is --token this site's API token?)" : "")
                + (r.body().isBlank() ? " with an empty body" : ": " + abbreviated(r.body()));
      }
      throw new Refused(field.isEmpty() ? "--server" : field, message);
    }

    /** At most a line of a body that is not the API's: an HTML error page can be long. */
    private static String abbreviated(String body) {
      String line = body.strip().replaceAll("\\s+", " ");
      return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }

    /** Whether {@code url}'s host is this machine: plain http to it never leaves the machine. */
    static boolean loopback(String url) {
      try {
        String host = URI.create(url).getHost();
        return host != null
            && (host.equals("localhost")
                || host.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")
                || host.equals("[::1]")
                || host.equals("::1"));
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
  }

  /**
   * A stopped site: a content node on its data directory for the command's length, asked through
   * the same entity the admin uses; passwords hashed here, as a gateway would.
   */
  static final class Local extends Users {
    private final QuireNode node;
    private final Duration timeout;
    private final PasswordHasher hasher;

    Local(Config config) throws Exception {
      // Everything that can fail on a bad setting first: the node, once started, holds the data
      // directory's lock, and only close() stops it.
      this.timeout = config.getDuration("quire.cli.ask-timeout");
      this.hasher =
          new PasswordHasher(
              PasswordHasher.Params.fromConfig(config.getConfig("quire.gateway.admin.argon2")));
      this.node = QuireNode.start(config, false, System.err);
    }

    private <R> R ask(
        org.apache.pekko.japi.function.Function<
                org.apache.pekko.actor.typed.ActorRef<R>, dev.quire.protocol.UserCommand>
            make)
        throws Exception {
      return ClusterSharding.get(node.system())
          .entityRefFor(
              dev.quire.protocol.UserCommand.ENTITY_KEY, dev.quire.protocol.UserCommand.SITE)
          .<R>ask(make, timeout)
          .toCompletableFuture()
          .get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
    }

    @Override
    List<JsonNode> list() throws Exception {
      dev.quire.protocol.UserCommand.UserList l =
          ask(dev.quire.protocol.UserCommand.ListUsers::new);
      List<JsonNode> out = new ArrayList<>();
      l.users().forEach(u -> out.add(view(u)));
      return out;
    }

    @Override
    JsonNode add(ObjectNode body) throws Exception {
      Role role = role(body.path("role").asText());
      String password = checked(body.path("password").asText());
      String hash = hasher.hash(password);
      String name = body.hasNonNull("displayName") ? body.get("displayName").asText() : null;
      return done(
          ask(
              r ->
                  new dev.quire.protocol.UserCommand.Add(
                      body.path("username").asText(), name, role, hash, "cli", r)));
    }

    @Override
    JsonNode change(String username, ObjectNode body) throws Exception {
      JsonNode last = null;
      if (body.has("role") || body.has("displayName") || body.has("disabled")) {
        Role role = body.has("role") ? role(body.get("role").asText()) : null;
        String name = body.has("displayName") ? body.get("displayName").asText() : null;
        Boolean disabled = body.has("disabled") ? body.get("disabled").asBoolean() : null;
        last =
            done(
                ask(
                    r ->
                        new dev.quire.protocol.UserCommand.Change(
                            username, name, role, disabled, "cli", r)));
      }
      if (body.has("password")) {
        String hash = hasher.hash(checked(body.get("password").asText()));
        last =
            done(
                ask(r -> new dev.quire.protocol.UserCommand.SetPassword(username, hash, "cli", r)));
      }
      if (last == null) {
        last = done(ask(r -> new dev.quire.protocol.UserCommand.GetUser(username, r)));
      }
      return last;
    }

    @Override
    JsonNode endSessions(String username) throws Exception {
      return done(ask(r -> new dev.quire.protocol.UserCommand.EndSessions(username, "cli", r)));
    }

    @Override
    JsonNode addToken(String username, String name, java.time.Instant expiresAt) throws Exception {
      dev.quire.gateway.api.UserTokens.Made made = dev.quire.gateway.api.UserTokens.make();
      var t =
          granted(
              this.<dev.quire.protocol.UserCommand.TokenReply>ask(
                  r ->
                      new dev.quire.protocol.UserCommand.IssueToken(
                          username, made.id(), name, made.secretHash(), expiresAt, "cli", r)));
      return token(t.issued()).put("token", made.token());
    }

    @Override
    List<JsonNode> tokens(String username) throws Exception {
      List<JsonNode> out = new ArrayList<>();
      granted(
              this.<dev.quire.protocol.UserCommand.TokenReply>ask(
                  r -> new dev.quire.protocol.UserCommand.ListTokens(username, r)))
          .tokens()
          .forEach(t -> out.add(token(t)));
      return out;
    }

    @Override
    void revokeToken(String username, String id) throws Exception {
      granted(
          this.<dev.quire.protocol.UserCommand.TokenReply>ask(
              r -> new dev.quire.protocol.UserCommand.RevokeToken(username, id, "cli", r)));
    }

    private static dev.quire.protocol.UserCommand.TokenReply.Tokens granted(
        dev.quire.protocol.UserCommand.TokenReply reply) throws Refused {
      if (reply instanceof dev.quire.protocol.UserCommand.TokenReply.Refused no) {
        throw new Refused(no.field(), no.message());
      }
      return (dev.quire.protocol.UserCommand.TokenReply.Tokens) reply;
    }

    private static ObjectNode token(dev.quire.protocol.UserCommand.TokenView t) {
      return JSON.createObjectNode()
          .put("id", t.id())
          .put("name", t.name())
          .put("createdAt", t.createdAt().toString())
          .put("createdBy", t.createdBy())
          .put("expiresAt", t.expiresAt() == null ? null : t.expiresAt().toString())
          .put("lastUsed", t.lastUsed() == null ? null : t.lastUsed().toString());
    }

    /** The same bounds the admin and the API hold a password to. */
    private String checked(String password) throws Refused {
      Config c = node.system().settings().config().getConfig("quire.gateway.admin.password");
      String problem =
          dev.quire.gateway.admin.PasswordRules.problem(
              password, c.getInt("min-length"), c.getInt("max-length"));
      if (problem != null) {
        throw new Refused("password", problem);
      }
      return password;
    }

    private static Role role(String value) throws Refused {
      try {
        return Role.parse(value);
      } catch (IllegalArgumentException e) {
        throw new Refused("role", e.getMessage());
      }
    }

    private static JsonNode done(dev.quire.protocol.UserCommand.UserReply reply) throws Refused {
      if (reply instanceof dev.quire.protocol.UserCommand.UserReply.Refused no) {
        throw new Refused(no.field(), no.message());
      }
      return view(((dev.quire.protocol.UserCommand.UserReply.Done) reply).user());
    }

    private static JsonNode view(dev.quire.protocol.UserCommand.UserView u) {
      return JSON.createObjectNode()
          .put("username", u.username())
          .put("displayName", u.displayName())
          .put("role", u.role().id())
          .put("disabled", u.disabled());
    }

    @Override
    public void close() throws Exception {
      node.close();
    }
  }
}
