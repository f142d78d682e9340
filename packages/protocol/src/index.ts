// @ferry/protocol: the contract between the API and the agent. Both sides validate with these schemas.
export {};
