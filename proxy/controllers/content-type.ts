// The Content-Type an object gets when the client sends none (Swift guesses it from the name
// with Python's mimetypes, falling back to application/octet-stream).
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain', html: 'text/html', htm: 'text/html', css: 'text/css', csv: 'text/csv', xml: 'application/xml',
  js: 'application/javascript', mjs: 'application/javascript', json: 'application/json', pdf: 'application/pdf',
  zip: 'application/zip', gz: 'application/gzip', tgz: 'application/gzip', tar: 'application/x-tar', bz2: 'application/x-bzip2',
  xz: 'application/x-xz', iso: 'application/x-iso9660-image', img: 'application/octet-stream', qcow2: 'application/octet-stream',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml', webp: 'image/webp', ico: 'image/vnd.microsoft.icon',
  mp3: 'audio/mpeg', wav: 'audio/x-wav', mp4: 'video/mp4', webm: 'video/webm', md: 'text/markdown', py: 'text/x-python', sh: 'application/x-sh',
  yaml: 'application/yaml', yml: 'application/yaml', doc: 'application/msword', bin: 'application/octet-stream',
}

export function guessContentType(objectName: string): string {
  const base = objectName.slice(objectName.lastIndexOf('/') + 1)
  const dot = base.lastIndexOf('.')
  if (dot <= 0) return 'application/octet-stream'
  return BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? 'application/octet-stream'
}
