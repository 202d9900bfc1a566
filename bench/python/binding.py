"""The Python binding (bindings/python), as an application uses it."""

from jetpack_partner import Client


def make_client(base, partner_id, partner_secret):
    return Client(partner_id, partner_secret, api_base=base)


def provision(client, user, site, plan):
    return client.provision(user, site, plan)
