// The API token lives in sessionStorage only: it is gone when the browser tab closes.
const KEY = "ferry.token";

export const session = {
  token: (): string | null => sessionStorage.getItem(KEY),
  save: (token: string) => sessionStorage.setItem(KEY, token),
  clear: () => sessionStorage.removeItem(KEY),
};
