// The one page-visible answer the service worker gives of its own: when Go (the bridge) cannot be reached, or the
// page script's full part cannot be injected, there is no one else to ask. It matches the bridge's own answer for
// an internal failure (core/rules KindUnknown: NotReadableError, U2F OTHER_ERROR).
export const UNREACHABLE = Object.freeze({
  name: 'NotReadableError', u2fCode: 1, message: 'Twinkey could not process the request.',
});
