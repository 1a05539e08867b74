import type { User, UserRepository } from '../domain/accounts.js';

/** An in-memory repository, bounded so a long demo does not grow without limit. */
export class InMemoryUsers implements UserRepository {
  readonly #byId = new Map<string, User>();
  readonly #byEmail = new Map<string, string>();

  constructor(private readonly limit = 50_000) {}

  async save(user: User): Promise<void> {
    if (this.#byId.size >= this.limit) {
      const oldest = this.#byId.values().next().value as User;
      this.#byId.delete(oldest.id);
      this.#byEmail.delete(oldest.email);
    }
    this.#byId.set(user.id, user);
    this.#byEmail.set(user.email, user.id);
  }

  async findById(id: string): Promise<User | undefined> {
    return this.#byId.get(id);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const id = this.#byEmail.get(email);
    return id === undefined ? undefined : this.#byId.get(id);
  }
}
