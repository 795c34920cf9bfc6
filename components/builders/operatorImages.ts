// `trainingOperator.images`: the images of the operator install this stack makes, pulled from a
// mirror. A name is matched whole, as kustomize's `images: [{name, newName}]` matches it (no
// prefixes, no registry defaulting: `alpine` is not `docker.io/library/alpine`), and only the name
// is replaced: the manifests' tag and digest are kept, so the mirror must hold the same release.

/** Image name → the mirror's image name. */
export type ImageMirrors = Readonly<Record<string, string>>;

/** `[registry[:port]/]path[:tag][@digest]` split into its name and the rest (`:tag`, `@digest`). */
export function splitImage(image: string): { readonly name: string; readonly rest: string } {
  const at = image.indexOf("@");
  const beforeDigest = at < 0 ? image : image.slice(0, at);
  // A tag's colon comes after the last slash; a registry port's comes before it.
  const colon = beforeDigest.lastIndexOf(":");
  const end = colon > beforeDigest.lastIndexOf("/") ? colon : beforeDigest.length;
  return { name: image.slice(0, end), rest: image.slice(end) };
}

/** The image as pulled from its mirror, or as it is when its name has none. */
export function mirrorImage(image: string, mirrors: ImageMirrors): string {
  const { name, rest } = splitImage(image);
  return Object.hasOwn(mirrors, name) ? `${mirrors[name]}${rest}` : image;
}

type Json = unknown;

function mirrorContainers(value: Json, mirrors: ImageMirrors): Json {
  if (!Array.isArray(value)) return mirrorAll(value, mirrors);
  return value.map((c) => {
    const container = mirrorAll(c, mirrors) as Record<string, unknown>;
    return typeof container?.image === "string"
      ? { ...container, image: mirrorImage(container.image, mirrors) }
      : container;
  });
}

function mirrorAll(value: Json, mirrors: ImageMirrors): Json {
  if (Array.isArray(value)) return value.map((v) => mirrorAll(v, mirrors));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "containers" || k === "initContainers" ? mirrorContainers(v, mirrors) : mirrorAll(v, mirrors),
    ]),
  );
}

/**
 * The object with the image of every container and init container, wherever it sits (a
 * Deployment's pod template, a runtime's replicated jobs), pulled from its mirror. The object
 * itself when there are no mirrors.
 */
export function withMirroredImages<T extends object>(obj: T, mirrors: ImageMirrors): T {
  if (Object.keys(mirrors).length === 0) return obj;
  return mirrorAll(obj, mirrors) as T;
}

/** Every image name of the containers and init containers of `objects`. */
export function imageNamesOf(objects: readonly unknown[]): string[] {
  const names = new Set<string>();
  const walk = (value: Json, inContainers: boolean): void => {
    if (Array.isArray(value)) {
      for (const v of value) {
        const image = (v as { image?: unknown } | null)?.image;
        if (inContainers && typeof image === "string") names.add(splitImage(image).name);
        walk(v, false);
      }
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, k === "containers" || k === "initContainers");
    }
  };
  walk(objects, false);
  return [...names].sort();
}
