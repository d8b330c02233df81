package dev.quire.gateway.module;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds modules on the class path and returns the enabled ones in configured order. */
public final class ModuleRegistry {

  private ModuleRegistry() {}

  public static List<CmsModule> enabled(List<String> enabledIds) {
    return enabled(enabledIds, discover());
  }

  static List<CmsModule> discover() {
    List<CmsModule> found = new ArrayList<>();
    ServiceLoader.load(CmsModule.class).forEach(found::add);
    return found;
  }

  /** Fails fast on duplicate ids, unknown ids and ids listed twice. */
  public static List<CmsModule> enabled(List<String> enabledIds, List<CmsModule> available) {
    Map<String, CmsModule> byId = new LinkedHashMap<>();
    for (CmsModule m : available) {
      CmsModule previous = byId.putIfAbsent(m.id(), m);
      if (previous != null) {
        throw new IllegalStateException(
            "two modules share the id '"
                + m.id()
                + "': "
                + previous.getClass().getName()
                + " and "
                + m.getClass().getName());
      }
    }
    List<CmsModule> out = new ArrayList<>();
    for (String id : enabledIds) {
      CmsModule m = byId.get(id);
      if (m == null) {
        throw new IllegalStateException(
            "quire.gateway.modules lists '"
                + id
                + "' but no such module is installed; available: "
                + byId.keySet());
      }
      if (out.contains(m)) {
        throw new IllegalStateException("quire.gateway.modules lists '" + id + "' twice");
      }
      out.add(m);
    }
    return out;
  }
}
