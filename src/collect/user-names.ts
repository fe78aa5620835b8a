/** uid → user name from /etc/passwd, as `ps` shows it; a uid without an entry (containers) stays a number. */
import { readFileSync } from 'node:fs';

export class UserNames {
  private readonly names = new Map<string, string>();

  constructor(passwdFile = '/etc/passwd') {
    let text = '';
    try {
      text = readFileSync(passwdFile, 'utf8');
    } catch {
      return; // no passwd database (distroless image): every user is reported by uid
    }
    for (const line of text.split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid && !this.names.has(uid)) this.names.set(uid, name);
    }
  }

  nameOf(uid: string): string {
    return this.names.get(uid) ?? uid;
  }
}
