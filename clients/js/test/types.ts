// Compiled by `tsc` in the tests: the generated types fit the client's declarations.
import { AuthServiceClient, type Result } from "../src/index.js";

export async function typed(client: AuthServiceClient): Promise<string | undefined> {
  const user = await client.call("get_user_item", { params: { user_id: "u1" } });
  const created = await client.call("post_user_list", { body: { email: "ada@example.com" } });
  for await (const row of client.paginate("get_user_list", { limit: 10, q: "ada" })) {
    const email: string | undefined = row.email;
    void email;
  }
  // @ts-expect-error: no such operation
  await client.call("drop_everything");
  // @ts-expect-error: get_user_list has no `colour` parameter
  await client.call("get_user_list", { params: { colour: "red" } });
  const session = client.session();
  const me: Result<"get_me"> = await session.getCurrentUser();
  return user.email ?? created.email ?? me.email;
}
