import { describe, expect, it } from "vitest";
import { cellOfExec } from "./cell-exec";

describe("exec ids", () => {
  const cell = "0b5e0a52-54a4-4f0e-9f3c-2d8e5a7b6c11";
  const exec = "7f1c2d3e-4a5b-4c6d-8e9f-a0b1c2d3e4f5";

  it("name the cell the exec runs on", () => {
    expect(cellOfExec(`${cell}_${exec}`)).toBe(cell);
    expect(cellOfExec(`cell_1_${exec}`)).toBe("cell_1");
  });

  it("name no cell when the api did not make them", () => {
    for (const id of ["nope", exec, `_${exec}`, `${cell}_nope`, `${cell}.x_${exec}`, `${cell}_${exec}_x`])
      expect(cellOfExec(id)).toBeUndefined();
  });
});
